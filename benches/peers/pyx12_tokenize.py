"""Times pyx12's tokenizer on one X12 file; prints one JSON object. Run by compare.sh (see there).

usage: python pyx12_tokenize.py FILE REPS [--check] [--reader-reps N]

- Tokenizer: ``pyx12.rawx12file.RawX12File`` iterating the segment strings (pyx12's lowest layer: delimiters
  from the ISA, split on the segment terminator). The file is read into memory first and handed over as a
  ``StringIO``, so disk reads are not timed (ours is timed on bytes in memory too).
- ``--reader-reps N``: also times ``pyx12.x12file.X12Reader`` (segments split into elements, envelope counts and
  HL numbering checked), for context beside our full parse.
- ``--check``: reads the file once with ``X12Reader`` and exits non-zero if pyx12 reports any error (SE/GE/IEA
  counts, control numbers, HL numbering, trailing element separators). pyx12 4.0.0 ships no 005010X279A1 map,
  so this is as far as pyx12 can validate a 5010 271.
"""

import io
import json
import statistics
import sys
import time

import pyx12
import pyx12.rawx12file
import pyx12.x12file


def tokenize(text: str) -> int:
    count = 0
    for _segment in pyx12.rawx12file.RawX12File(io.StringIO(text)):
        count += 1
    return count


def read(text: str) -> tuple[int, list]:
    reader = pyx12.x12file.X12Reader(io.StringIO(text))
    count = 0
    for _segment in reader:
        count += 1
    reader.cleanup()
    return count, reader.pop_errors()


def timed(function, text: str, reps: int) -> tuple[list[float], object]:
    times = []
    result = None
    for _ in range(reps):
        start = time.perf_counter()
        result = function(text)
        times.append(time.perf_counter() - start)
    return times, result


def summary(times: list[float], size: int) -> dict:
    median = statistics.median(times)
    return {"reps": len(times), "median_s": median, "min_s": min(times), "mb_per_s": size / median / 1e6}


def main() -> int:
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    reader_reps = 0
    if "--reader-reps" in args:
        at = args.index("--reader-reps")
        reader_reps = int(args[at + 1])
        del args[at : at + 2]
    path, reps = args[0], int(args[1])
    with open(path, encoding="ascii") as f:
        text = f.read()
    size = len(text.encode("ascii"))

    if check:
        count, errors = read(text)
        if errors:
            for error in errors[:20]:
                print(f"pyx12 X12Reader: {error}", file=sys.stderr)
            print(f"pyx12 X12Reader: {len(errors)} errors in {path}", file=sys.stderr)
            return 1
        print(f"pyx12 {pyx12.__version__} X12Reader: {count} segments, no errors", file=sys.stderr)

    out = {"tool": f"pyx12 {pyx12.__version__}", "python": sys.version.split()[0], "bytes": size}
    times, segments = timed(tokenize, text, reps)
    out["segments"] = segments
    out["tokenize"] = summary(times, size)
    if reader_reps:
        times, (count, _errors) = timed(read, text, reader_reps)
        if count != segments:
            print(f"X12Reader saw {count} segments, RawX12File {segments}", file=sys.stderr)
            return 1
        out["reader"] = summary(times, size)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
