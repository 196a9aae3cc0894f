"""The engine's own state on /metrics (queue depth, cache entries, versions, cloud calls), read
at scrape time from `engine.gauges()`: a name ending in `_total` is a counter, any other a gauge."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily


class EngineGauges:
    """A Prometheus collector over `engine.gauges()`: {name: (value, help)}."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def collect(self):
        for name, (value, help_text) in sorted(self.engine.gauges().items()):
            if name.endswith("_total"):
                family = CounterMetricFamily(f"fedhybrid_{name[:-len('_total')]}", help_text)
            else:
                family = GaugeMetricFamily(f"fedhybrid_{name}", help_text)
            family.add_metric([], float(value))
            yield family
