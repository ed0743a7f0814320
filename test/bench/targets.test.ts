/** Issue 11's targets as `bench` judges them (app/bench/targets.ts): the boundaries belong to the higher mark. */
import { describe, expect, it } from 'vitest';
import { checkTargets } from '../../app/bench/targets.ts';
import { spread } from '../../app/bench/report.ts';
import type { ThroughputFigure } from '../../app/bench/throughput.ts';
import type { SessionsFigure } from '../../app/bench/sessions.ts';

const figure = (ratio: number | null, rounds: (number | null)[] = []) => ({ ratio, rounds }) as ThroughputFigure;

describe('bench targets', () => {
  it('marks each ratio no, first target or goal, reaching a mark exactly counting as reaching it', () => {
    const checks = checkTargets(
      { plain: figure(0.44, [0.41, 0.47, 0.43, 0.45]), starttls: figure(0.4), ntlm: figure(0.7) },
      { ratioPath: 0.8, roundsPath: [0.79, 0.81] } as SessionsFigure,
    );
    expect(checks).toEqual([
      { figure: 'throughput.plain', ratio: 0.44, rounds: [0.41, 0.47, 0.43, 0.45], first: 0.5, goal: 0.8, met: 'no' },
      { figure: 'throughput.starttls', ratio: 0.4, rounds: [], first: 0.4, goal: 0.7, met: 'first' },
      { figure: 'throughput.ntlm', ratio: 0.7, rounds: [], first: 0.4, goal: 0.7, met: 'goal' },
      { figure: 'sessions.ratioPath', ratio: 0.8, rounds: [0.79, 0.81], first: 0.6, goal: 0.8, met: 'goal' },
    ]);
  });

  it("says a ratio's spread over its rounds as lowest–highest", () => {
    expect(spread([0.441, 0.412, 0.47, 0.43])).toBe('0.412–0.470');
    expect(spread([0.5, null, 0.5])).toBe('0.500');
    expect(spread([null])).toBe('—');
    expect(spread([])).toBe('—');
  });

  it('a ratio a run could not measure meets nothing', () => {
    const [plain] = checkTargets({ plain: figure(null), starttls: figure(0.5), ntlm: figure(0.5) }, { ratioPath: 0.7 } as SessionsFigure);
    expect(plain).toMatchObject({ ratio: null, met: 'no' });
  });
});
