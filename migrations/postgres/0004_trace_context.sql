-- The W3C `traceparent` of the submit that created the verification (NULL when tracing was off or the caller sent
-- none), so the dispatcher's spans, in whichever replica claims the work later, join the submit's trace.
-- Trace and span ids only: never PHI.
ALTER TABLE verifications ADD COLUMN trace_context TEXT;
