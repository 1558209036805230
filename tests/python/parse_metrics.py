"""Parses a Prometheus text exposition (stdin) with the Prometheus
project's own Python parser and prints it as JSON: one object per family,
{"name": {"type": ..., "samples": [[sample_name, labels, value], ...]}}.
A body that does not parse makes the parser raise: exit status 1."""

import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    families = {}
    for family in text_string_to_metric_families(sys.stdin.read()):
        samples = []
        for sample in family.samples:
            value = sample.value
            if math.isinf(value) or math.isnan(value):
                value = str(value)
            samples.append([sample.name, sample.labels, value])
        families[family.name] = {"type": family.type, "samples": samples}
    json.dump(families, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
