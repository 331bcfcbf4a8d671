/** A transform of a raw feature value, declared in model config. */
export type TransformSpec =
  'log1p' | { clip: [number, number] } | { normalize: { mean: number; std: number } } | { scale: number };

/** The transforms in order; problems (bad bounds, zero std) are listed, not thrown. */
export function compileTransforms(
  specs: readonly TransformSpec[],
  where: string,
  problems: string[],
): (value: number) => number {
  const steps: Array<(value: number) => number> = [];
  specs.forEach((spec, i) => {
    const at = `${where}.transforms[${i}]`;
    if (spec === 'log1p') steps.push((v) => Math.log1p(Math.max(0, v)));
    else if (typeof spec === 'object' && 'clip' in spec) {
      const [low, high] = spec.clip;
      if (!(low <= high)) problems.push(`${at}: clip bounds must be [low, high] with low <= high`);
      steps.push((v) => Math.min(high, Math.max(low, v)));
    } else if (typeof spec === 'object' && 'normalize' in spec) {
      const { mean, std } = spec.normalize;
      if (!(std > 0)) problems.push(`${at}: normalize.std must be > 0`);
      steps.push((v) => (v - mean) / std);
    } else if (typeof spec === 'object' && 'scale' in spec) {
      steps.push((v) => v * spec.scale);
    } else {
      problems.push(`${at}: unknown transform ${JSON.stringify(spec)} (log1p, clip, normalize, scale)`);
    }
  });
  if (steps.length === 0) return (v) => v;
  if (steps.length === 1) return steps[0]!;
  // An indexed loop: this runs per feature per candidate, where an iterator costs more than the math.
  return (value) => {
    let v = value;
    for (let i = 0; i < steps.length; i++) v = steps[i]!(v);
    return v;
  };
}
