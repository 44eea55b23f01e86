/** A V8 .cpuprofile (node --cpu-prof) summed up: self time by function and by package, inclusive time of ours. */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarizeProfile(profile: CpuProfile, options: { root: string; top?: number }): string {
  const top = options.top ?? 25;
  const root = `file://${options.root}/`;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const where = (frame: CallFrame): string => {
    const url = frame.url.replace(/^.*node_modules\//, '').replace(root, '');
    return `${frame.functionName || '(anonymous)'} ${url ? `${url}:${frame.lineNumber + 1}` : ''}`.trim();
  };
  const packageOf = (frame: CallFrame): string => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(frame.url);
    if (match) return match[1]!;
    if (frame.url.startsWith(root)) return frame.url.slice(root.length).split('/').slice(0, 2).join('/');
    if (frame.url.startsWith('node:')) return 'node core (js)';
    return frame.functionName || '(native)';
  };

  const self = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const add = (map: Map<string, number>, key: string, value: number) => map.set(key, (map.get(key) ?? 0) + value);
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const node = nodes.get(id)!;
    add(self, where(node.callFrame), delta);
    add(byPackage, packageOf(node.callFrame), delta);
    // Inclusive time of our own functions (each counted once per sample, however deep the recursion).
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = nodes.get(current)!.callFrame;
      if (!frame.url.startsWith(root) || frame.url.includes('/node_modules/')) continue;
      const key = where(frame);
      if (!seen.has(key)) add(inclusive, key, delta);
      seen.add(key);
    }
  });

  const table = (title: string, map: Map<string, number>) =>
    [
      `\n${title}`,
      ...[...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([key, time]) => `${((100 * time) / total).toFixed(1).padStart(5)} %  ${key}`),
    ].join('\n');
  return [
    `${(total / 1e6).toFixed(1)} s of samples`,
    table('self time, by function', self),
    table('self time, by package', byPackage),
    table('inclusive time, our functions', inclusive),
  ].join('\n');
}
