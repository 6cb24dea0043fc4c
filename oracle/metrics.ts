/** A minimal Prometheus text-format registry: counters and one latency histogram. */
type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${(labels[k] ?? '').replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`;
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    this.incKey(labelKey(labels), by);
  }
  /**
   * `inc` for fixed labels, their key built once (perf: the HTTP hot path, issue 10 §3). The
   * series appears in `render` at its first increment, as with `inc`.
   */
  bind(labels: Labels): (by?: number) => void {
    const k = labelKey(labels);
    return (by = 1) => {
      this.incKey(k, by);
    };
  }
  private incKey(k: string, by: number): void {
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join('\n');
  }
}

/** A gauge read when the metrics are rendered (e.g. a count from the database). */
class Gauge {
  private read: () => number = () => 0;
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  /** Where the value comes from; the owner of the data sets it once. */
  collect(read: () => number): void {
    this.read = read;
  }
  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n${this.name} ${this.read()}`;
  }
}

const BUCKETS_SEC = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

class Histogram {
  private readonly series = new Map<
    string,
    { counts: number[]; sum: number; count: number; labels: Labels }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, valueSec: number): void {
    this.observeKey(labelKey(labels), labels, valueSec);
  }
  /** `observe` for fixed labels, their key built once (perf: the HTTP hot path, issue 10 §3). */
  bind(labels: Labels): (valueSec: number) => void {
    const k = labelKey(labels);
    return (valueSec) => {
      this.observeKey(k, labels, valueSec);
    };
  }
  private observeKey(k: string, labels: Labels, valueSec: number): void {
    let s = this.series.get(k);
    if (s === undefined) {
      s = { counts: BUCKETS_SEC.map(() => 0), sum: 0, count: 0, labels };
      this.series.set(k, s);
    }
    for (let i = 0; i < BUCKETS_SEC.length; i++) {
      if (valueSec <= (BUCKETS_SEC[i] ?? 0)) s.counts[i] = (s.counts[i] ?? 0) + 1;
    }
    s.sum += valueSec;
    s.count += 1;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      BUCKETS_SEC.forEach((b, i) => {
        lines.push(
          `${this.name}_bucket${labelKey({ ...s.labels, le: String(b) })} ${s.counts[i] ?? 0}`,
        );
      });
      lines.push(`${this.name}_bucket${labelKey({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelKey(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelKey(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class Metrics {
  readonly httpRequests = new Counter(
    'verdict_http_requests_total',
    'HTTP requests by route and status',
  );
  readonly httpDuration = new Histogram(
    'verdict_http_request_duration_seconds',
    'HTTP request latency',
  );
  readonly decisions = new Counter('verdict_decisions_total', 'Milestone decisions by reason');
  readonly attestations = new Counter('verdict_attestations_total', 'Attestations signed');
  readonly transitions = new Counter(
    'verdict_transitions_total',
    'Milestone transitions by action',
  );
  readonly schedulerTicks = new Counter('verdict_scheduler_ticks_total', 'Scheduler ticks');
  /** Issue 13 §9: a dispute whose panel has empty seats is heard by fewer arbiters, or by none. */
  readonly disputePanelsShort = new Gauge(
    'verdict_dispute_panels_short',
    'Open dispute rounds seated with fewer arbiters than the terms ask (0 seated included)',
  );
  readonly disputeSeatsFilledLate = new Counter(
    'verdict_dispute_seats_filled_late_total',
    'Panel seats filled after the dispute opened (arbiters activated later)',
  );
  readonly disputeRoundsClosed = new Counter(
    'verdict_dispute_rounds_closed_total',
    'Dispute rounds closed, by reason (deadline, or all_voted: every seated arbiter voted)',
  );

  render(gauges: Readonly<Record<string, number>> = {}): string {
    const parts = [
      this.httpRequests.render(),
      this.httpDuration.render(),
      this.decisions.render(),
      this.attestations.render(),
      this.transitions.render(),
      this.schedulerTicks.render(),
      this.disputePanelsShort.render(),
      this.disputeSeatsFilledLate.render(),
      this.disputeRoundsClosed.render(),
    ];
    for (const [name, v] of Object.entries(gauges)) {
      parts.push(`# HELP ${name} ${name.replace(/_/g, ' ')}\n# TYPE ${name} gauge\n${name} ${v}`);
    }
    return parts.join('\n') + '\n';
  }
}
