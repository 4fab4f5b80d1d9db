/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** One-line summary of latencies in milliseconds. */
export function latencyLine(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const f = (v: number) => v.toFixed(2);
  return `p50 ${f(percentile(s, 50))} ms, p90 ${f(percentile(s, 90))} ms, p99 ${f(percentile(s, 99))} ms, max ${f(s[s.length - 1] ?? NaN)} ms (n=${s.length})`;
}

/** Formats a rate with thousands separators. */
export function rate(count: number, ms: number): string {
  return Math.round((count * 1000) / ms).toLocaleString('en-US');
}

/** Waits until `due` (a performance.now() time) without spinning the CPU: other processes share it. */
export async function pace(due: number): Promise<void> {
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  else await new Promise((r) => setImmediate(r));
}
