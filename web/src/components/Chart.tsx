import { useEffect, useId, useRef, useState } from 'react';
import '../styles/admin.css';

export type ChartDatum = {
  /** Stable key (e.g. the ISO day). */
  key: string;
  /** What the x axis and the data table say for it (e.g. "Dec 2"). */
  label: string;
  value: number;
};

type Props = {
  /** The visible caption, also the data table's caption. */
  title: string;
  /** What a screen reader hears for the picture: range, total, highest point… */
  summary: string;
  data: ChartDatum[];
  /** Formats a value for the axis and the table (e.g. a price). */
  formatValue?: (value: number) => string;
  /** Short form for the axis ticks (defaults to formatValue). */
  formatTick?: (value: number) => string;
  kind?: 'bar' | 'line';
  /** Whole-number data: the axis steps by whole numbers (default true). */
  integer?: boolean;
  /** Column headers of the visually hidden data table. */
  labelHeader: string;
  valueHeader: string;
  /** The drawing's width before it is measured; it then follows its container's width. */
  width?: number;
  height?: number;
};

const PAD = { top: 12, right: 24, bottom: 28, left: 64 };

/** 0 and three or four round steps up to at least `max` (whole steps for `integer` data). */
function ticks(max: number, integer: boolean): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / 4;
  const mag = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? rough;
  if (integer) step = Math.max(1, Math.ceil(step));
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) {
    out.push(Math.round(v * 1000) / 1000);
    if (v >= max) break;
  }
  return out;
}

/**
 * A hand-drawn SVG chart of one series, bars or a line: the picture is one
 * image to assistive technology (role="img" with `summary` as its name) and
 * the figures themselves are in a visually hidden table next to it.
 */
export default function Chart({
  title,
  summary,
  data,
  formatValue = (v) => v.toLocaleString(),
  formatTick,
  kind = 'bar',
  integer = true,
  labelHeader,
  valueHeader,
  width: initialWidth = 640,
  height = 220,
}: Props) {
  const uid = useId();
  const box = useRef<HTMLDivElement>(null);
  // Drawn at the container's own width, so its text keeps its size on any screen.
  const [width, setWidth] = useState(initialWidth);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver((entries) => {
      const w = Math.round(entries[0]?.contentRect.width ?? 0);
      if (w > 0) setWidth(Math.max(280, w));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const tick = formatTick ?? formatValue;
  const max = Math.max(0, ...data.map((d) => d.value));
  const ys = ticks(max, integer);
  const top = ys[ys.length - 1] || 1;
  const innerW = width - PAD.left - PAD.right;
  const innerH = height - PAD.top - PAD.bottom;
  const n = Math.max(data.length, 1);
  const slot = innerW / n;
  const x = (i: number) => PAD.left + slot * i + slot / 2;
  const y = (v: number) => PAD.top + innerH - (v / top) * innerH;
  // As many labels under the x axis as fit (about 72 px each), evenly spaced back from the last one.
  const every = Math.max(1, Math.ceil(data.length / Math.max(2, Math.floor(innerW / 72))));
  const last = data.length - 1;
  const barW = Math.max(1, Math.min(28, slot * 0.7));

  return (
    <figure className="chart" aria-labelledby={`${uid}-caption`}>
      <figcaption id={`${uid}-caption`} className="chart-title">
        {title}
      </figcaption>
      <div ref={box} className="chart-box">
        <svg className="chart-svg" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} preserveAspectRatio="xMidYMid meet">
          <g className="chart-grid">
            {ys.map((v) => (
              <g key={v}>
                <line x1={PAD.left} x2={width - PAD.right} y1={y(v)} y2={y(v)} />
                <text x={PAD.left - 6} y={y(v)} dy="0.32em" textAnchor="end">
                  {tick(v)}
                </text>
              </g>
            ))}
          </g>
          <g className="chart-x">
            <line x1={PAD.left} x2={width - PAD.right} y1={PAD.top + innerH} y2={PAD.top + innerH} />
            {data.map((d, i) =>
              (last - i) % every === 0 ? (
                <text key={d.key} x={x(i)} y={height - 8} textAnchor="middle">
                  {d.label}
                </text>
              ) : null,
            )}
          </g>
          {kind === 'bar' ? (
            <g className="chart-bars">
              {data.map((d, i) => (
                <rect key={d.key} x={x(i) - barW / 2} y={y(d.value)} width={barW} height={Math.max(0, PAD.top + innerH - y(d.value))}>
                  <title>{`${d.label}: ${formatValue(d.value)}`}</title>
                </rect>
              ))}
            </g>
          ) : (
            <g className="chart-line">
              <polyline fill="none" points={data.map((d, i) => `${x(i)},${y(d.value)}`).join(' ')} />
              {data.map((d, i) => (
                <circle key={d.key} cx={x(i)} cy={y(d.value)} r={data.length > 60 ? 1.5 : 3}>
                  <title>{`${d.label}: ${formatValue(d.value)}`}</title>
                </circle>
              ))}
            </g>
          )}
        </svg>
      </div>
      <table className="visually-hidden">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{labelHeader}</th>
            <th scope="col">{valueHeader}</th>
          </tr>
        </thead>
        <tbody>
          {data.map((d) => (
            <tr key={d.key}>
              <th scope="row">{d.label}</th>
              <td>{formatValue(d.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
