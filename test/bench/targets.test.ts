/** Issue 11's targets as `bench` judges them (app/bench/targets.ts): the boundaries belong to the higher mark. */
import { describe, expect, it } from 'vitest';
import { checkTargets } from '../../app/bench/targets.ts';
import type { ThroughputFigure } from '../../app/bench/throughput.ts';
import type { SessionsFigure } from '../../app/bench/sessions.ts';

const figure = (ratio: number | null) => ({ ratio }) as ThroughputFigure;

describe('bench targets', () => {
  it('marks each ratio no, first target or goal, reaching a mark exactly counting as reaching it', () => {
    const checks = checkTargets(
      { plain: figure(0.44), starttls: figure(0.4), ntlm: figure(0.7) },
      { ratioPath: 0.8 } as SessionsFigure,
    );
    expect(checks).toEqual([
      { figure: 'throughput.plain', ratio: 0.44, first: 0.5, goal: 0.8, met: 'no' },
      { figure: 'throughput.starttls', ratio: 0.4, first: 0.4, goal: 0.7, met: 'first' },
      { figure: 'throughput.ntlm', ratio: 0.7, first: 0.4, goal: 0.7, met: 'goal' },
      { figure: 'sessions.ratioPath', ratio: 0.8, first: 0.6, goal: 0.8, met: 'goal' },
    ]);
  });

  it('a ratio a run could not measure meets nothing', () => {
    const [plain] = checkTargets({ plain: figure(null), starttls: figure(0.5), ntlm: figure(0.5) }, { ratioPath: 0.7 } as SessionsFigure);
    expect(plain).toMatchObject({ ratio: null, met: 'no' });
  });
});
