"""A stand-in training script: the pacad demo only backs it up."""

import json


def main() -> None:
    with open("datasets/tiny.jsonl", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    print(f"{len(rows)} examples")


if __name__ == "__main__":
    main()
