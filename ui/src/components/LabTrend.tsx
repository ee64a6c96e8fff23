import { CartesianGrid, Line, LineChart, ReferenceArea, Tooltip, XAxis, YAxis } from "recharts";
import type { LabTest } from "../bindings/LabTest";
import { useFormats } from "../format";

/// Parses "3.5-5.1 mmol/L", ">= 40 mg/dL" or "<= 200 mg/dL" into the band to shade.
function band(range: string | null): { low?: number; high?: number } {
  if (!range) return {};
  const between = range.match(/^([\d.]+)-([\d.]+)/);
  if (between) return { low: Number(between[1]), high: Number(between[2]) };
  const atLeast = range.match(/^>= ([\d.]+)/);
  if (atLeast) return { low: Number(atLeast[1]) };
  const atMost = range.match(/^<= ([\d.]+)/);
  return atMost ? { high: Number(atMost[1]) } : {};
}

/// One test's results over time, oldest first, with its reference range shaded.
export function LabTrend({ test }: { test: LabTest }) {
  const f = useFormats();
  const points = [...test.history]
    .filter((r) => r.numeric !== null && r.date)
    .reverse()
    .map((r) => ({ date: f.date(r.date), value: r.numeric, flag: r.flag }));
  if (points.length === 0) return null;
  const { low, high } = band(test.range);
  return (
    <figure className="trend" aria-label={`${test.name ?? test.code} trend`}>
      <LineChart width={520} height={180} data={points} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
        <CartesianGrid stroke="#d0d7de" strokeDasharray="3 3" />
        <XAxis dataKey="date" fontSize={12} />
        <YAxis
          fontSize={12}
          // The axis always shows the reference band, so a value's distance from normal is visible.
          domain={[(min: number) => Math.floor(Math.min(min, low ?? min)), (max: number) => Math.ceil(Math.max(max, high ?? max))]}
          unit={test.unit ? ` ${test.unit}` : ""}
          width={90}
        />
        {(low !== undefined || high !== undefined) && <ReferenceArea y1={low} y2={high} fill="#1a7f37" fillOpacity={0.08} />}
        <Tooltip />
        <Line type="monotone" dataKey="value" stroke="#0e7490" strokeWidth={2} isAnimationActive={false} />
      </LineChart>
      <figcaption>{points.map((p) => `${p.date}: ${p.value}${p.flag && p.flag !== "normal" ? ` (${p.flag})` : ""}`).join(" · ")}</figcaption>
    </figure>
  );
}
