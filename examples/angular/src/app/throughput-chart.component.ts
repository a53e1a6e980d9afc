import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';

/** One sample: milliseconds since the batch started, and tasks done by then. */
export interface Sample {
  readonly t: number;
  readonly done: number;
}

const WIDTH = 320;
const HEIGHT = 140;

/** A live line chart of tasks finished per second, in plain SVG. */
@Component({
  selector: 'app-throughput-chart',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <svg id="throughput-chart" [attr.width]="width" [attr.height]="height + 20" role="img" aria-label="tasks per second">
      <rect x="0" y="0" [attr.width]="width" [attr.height]="height" fill="#f6f8fb" stroke="#d5d9e0" />
      <polyline [attr.points]="points()" fill="none" stroke="#2b6cb0" stroke-width="2" />
      <text x="4" y="14" font-size="11">peak {{ peak() }} tasks/s</text>
      <text x="4" [attr.y]="height + 14" font-size="11">{{ seconds() }} s</text>
    </svg>
  `,
})
export class ThroughputChartComponent {
  readonly samples = input.required<readonly Sample[]>();
  readonly width = WIDTH;
  readonly height = HEIGHT;

  /** Tasks per second between consecutive samples. */
  readonly rates = computed(() => {
    const samples = this.samples();
    const rates: { t: number; rate: number }[] = [];
    for (let i = 1; i < samples.length; i++) {
      const dt = (samples[i]!.t - samples[i - 1]!.t) / 1000;
      if (dt > 0) rates.push({ t: samples[i]!.t, rate: (samples[i]!.done - samples[i - 1]!.done) / dt });
    }
    return rates;
  });
  readonly peak = computed(() => Math.round(Math.max(0, ...this.rates().map((r) => r.rate))));
  readonly seconds = computed(() => ((this.samples().at(-1)?.t ?? 0) / 1000).toFixed(1));
  readonly points = computed(() => {
    const rates = this.rates();
    const tMax = Math.max(1, rates.at(-1)?.t ?? 1);
    const yMax = Math.max(1, ...rates.map((r) => r.rate));
    return rates.map((r) => `${((r.t / tMax) * WIDTH).toFixed(1)},${(HEIGHT - (r.rate / yMax) * (HEIGHT - 20)).toFixed(1)}`).join(' ');
  });
}
