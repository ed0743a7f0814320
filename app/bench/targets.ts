/**
 * Issue 11's targets for the four ratios (docs/bench.md, "Targets"), checked in every report so a
 * miss or a regression is visible at once: the first target each ratio must reach, and the goal
 * beyond it. A ratio is a ratio against a baseline measured in the same run, never a timing.
 */
import type { Method } from './labs.ts';
import type { ThroughputFigure } from './throughput.ts';
import type { SessionsFigure } from './sessions.ts';

export type TargetFigure = `throughput.${Method}` | 'sessions.ratioPath';

export interface TargetCheck {
  figure: TargetFigure;
  /** The ratio the run measured (null when a side measured nothing). */
  ratio: number | null;
  /** The same ratio in each round of the run's turns: its spread within the run. */
  rounds: (number | null)[];
  first: number;
  goal: number;
  /** `goal` when the ratio reaches the goal, `first` when it reaches only the first target, else `no`. */
  met: 'goal' | 'first' | 'no';
}

interface Measured {
  throughput: Record<Method, ThroughputFigure>;
  sessions: SessionsFigure;
}

type Reading = { ratio: number | null; rounds: (number | null)[] };
const throughputOf = (method: Method) => (m: Measured): Reading => ({ ratio: m.throughput[method].ratio, rounds: m.throughput[method].rounds });

export const TARGETS: readonly { figure: TargetFigure; first: number; goal: number; read(m: Measured): Reading }[] = [
  { figure: 'throughput.plain', first: 0.5, goal: 0.8, read: throughputOf('plain') },
  { figure: 'throughput.starttls', first: 0.4, goal: 0.7, read: throughputOf('starttls') },
  { figure: 'throughput.ntlm', first: 0.4, goal: 0.7, read: throughputOf('ntlm') },
  { figure: 'sessions.ratioPath', first: 0.6, goal: 0.8, read: (m) => ({ ratio: m.sessions.ratioPath, rounds: m.sessions.roundsPath }) },
];

export function checkTargets(throughput: Record<Method, ThroughputFigure>, sessions: SessionsFigure): TargetCheck[] {
  return TARGETS.map(({ figure, first, goal, read }) => {
    const { ratio, rounds } = read({ throughput, sessions });
    const met = ratio === null ? 'no' : ratio >= goal ? 'goal' : ratio >= first ? 'first' : 'no';
    return { figure, ratio, rounds, first, goal, met };
  });
}
