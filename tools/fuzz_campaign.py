"""A fuzz campaign: N mutated bundled scenarios through ``ennuste run``, counted by outcome.

    python tools/fuzz_campaign.py --cases 2000 --seed 1 [--draws 3] [--timeout 60] [--log cases.jsonl]

Each case is one seeded mutation (tests/fuzzing.py) written into a scratch scenario tree and run
in-process with ``main()``; a case that runs longer than ``--timeout`` seconds (SIGALRM) counts as
hung. Prints the counts: refused cleanly / ran / crashed / bad output / hung, and a sample of each
non-clean outcome.
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import fuzzing  # noqa: E402


class _Hung(BaseException):
    pass


def _alarm(signum, frame):
    raise _Hung()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--log", type=Path)
    args = ap.parse_args()

    signal.signal(signal.SIGALRM, _alarm)
    # a case that reads without limit (/dev/zero before issue 9) fails with MemoryError at 4 GB
    # instead of taking the machine's memory
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    sources = fuzzing.bundled()
    counts: collections.Counter[str] = collections.Counter()
    samples: dict[str, list] = collections.defaultdict(list)
    log = args.log.open("w") if args.log else None
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        tree = fuzzing.make_tree(Path(tmp))
        for i in range(args.cases):
            r = random.Random(f"{args.seed}:{i}")
            source, text = fuzzing.mutate(r, sources)
            file = tree / f"case_{i}.toml"
            file.write_text(text, encoding="utf-8", errors="surrogatepass")
            out = Path(tmp) / f"out_{i}"
            signal.alarm(args.timeout)
            try:
                outcome, detail = fuzzing.judge(file, out, args.draws)
            except _Hung:
                outcome, detail = "hung", f"over {args.timeout} s"
            finally:
                signal.alarm(0)
            counts[outcome] += 1
            if outcome != "ran" and len(samples[outcome]) < 400:
                samples[outcome].append((i, source, detail))
            if log:
                log.write(json.dumps({"case": i, "source": source, "outcome": outcome, "detail": detail}) + "\n")
            file.unlink()
            shutil.rmtree(out, ignore_errors=True)
            if (i + 1) % 100 == 0:
                print(f"{i + 1} cases, {time.monotonic() - start:.0f} s: {dict(counts)}", file=sys.stderr, flush=True)
    print(f"cases {args.cases} (seed {args.seed}, draws {args.draws}): "
          f"refused cleanly {counts['refused']}, ran {counts['ran']}, crashed {counts['crashed']}, "
          f"bad output {counts['bad_output']}, hung {counts['hung']}")
    for outcome in ("crashed", "bad_output", "hung"):
        kinds = collections.Counter(d.split(":")[0] if outcome == "crashed" else d for _, _, d in samples[outcome])
        for kind, n in kinds.most_common(15):
            example = next(s for s in samples[outcome] if (s[2].split(":")[0] if outcome == "crashed" else s[2]) == kind)
            print(f"  {outcome} ×{n} {kind}  e.g. case {example[0]} ({example[1]}): {example[2][:160]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
