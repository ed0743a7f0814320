import { describe, expect, test } from 'vitest';
import type { Direction } from '../../app/capture/tap.ts';
import { createRng } from '../../app/base/rng.ts';
import { createChain } from '../../app/path/chain.ts';
import type { PipelineOutput } from '../../app/path/pipeline.ts';
import { createStage } from '../../app/path/stages/index.ts';
import { added, changed, deliver } from '../../app/path/stages/stage.ts';
import type { Stage } from '../../app/path/stages/stage.ts';

const ctx = { rng: createRng(1), conn: 'c1' };
const text = (o: PipelineOutput): string => (o.type === 'deliver' ? `${o.dir}:${o.bytes.toString('latin1')}` : `close:${o.how}`);

/** Passes everything and writes down what it saw, to follow the route through the chain. */
function recorder(name: string, log: string[]): Stage {
  return { name, push: (dir, bytes) => (log.push(`${name} ${dir} ${bytes.toString('latin1')}`), [deliver(dir, bytes)]) };
}

/** Replaces one letter by another, marking the change, like any rewriting stage. */
function swap(name: string, from: string, to: string): Stage {
  return {
    name,
    push(dir, bytes) {
      const s = bytes.toString('latin1');
      if (!s.includes(from)) return [deliver(dir, bytes)];
      return [deliver(dir, Buffer.from(s.replaceAll(from, to), 'latin1'), [changed(name, bytes)])];
    },
  };
}

describe('createChain', () => {
  test('c2s runs through stages 1..n and s2c through n..1', () => {
    const log: string[] = [];
    const chain = createChain([recorder('one', log), recorder('two', log), recorder('three', log)]);
    expect(chain.push('c2s', Buffer.from('EHLO')).map(text)).toEqual(['c2s:EHLO']);
    expect(chain.push('s2c', Buffer.from('250')).map(text)).toEqual(['s2c:250']);
    expect(log).toEqual(['one c2s EHLO', 'two c2s EHLO', 'three c2s EHLO', 'three s2c 250', 'two s2c 250', 'one s2c 250']);
  });

  test('a stage\'s own reply turns round and goes back through the stages before it', () => {
    const log: string[] = [];
    const answerer: Stage = {
      name: 'answerer',
      push: (dir, bytes) => (dir === 'c2s' && bytes.toString() === 'PING'
        ? [deliver('s2c', Buffer.from('PONG'), [added('answerer', 'answered itself')])]
        : [deliver(dir, bytes)]),
    };
    const chain = createChain([recorder('client-side', log), answerer, recorder('server-side', log)]);
    const out = chain.push('c2s', Buffer.from('PING'));
    expect(out.map(text)).toEqual(['s2c:PONG']);
    expect(log).toEqual(['client-side c2s PING', 'client-side s2c PONG']);
    expect(out[0].type === 'deliver' && out[0].marks).toEqual([{ stage: 'answerer', action: 'added', note: 'answered itself' }]);
  });

  test('marks accumulate in path order, each with the bytes as that stage received them', () => {
    const chain = createChain([swap('first', 'a', 'b'), swap('second', 'b', 'c')]);
    const [c2s] = chain.push('c2s', Buffer.from('a'));
    expect(c2s.type === 'deliver' && [c2s.bytes.toString(), c2s.marks?.map((m) => [m.stage, m.original?.toString()])])
      .toEqual(['c', [['first', 'a'], ['second', 'b']]]);
    const [s2c] = chain.push('s2c', Buffer.from('a'));
    // s2c meets `second` first: it has no b to swap; `first` turns a into b.
    expect(s2c.type === 'deliver' && [s2c.bytes.toString(), s2c.marks?.map((m) => m.stage)]).toEqual(['b', ['first']]);
  });

  test('marks wait for the chunk that carries the bytes out of a line-buffering stage', () => {
    const chain = createChain([swap('swap', 'x', 'y'), createStage('rewrite', {}, ctx)]);
    expect(chain.push('c2s', Buffer.from('HELO x'))).toEqual([]); // held until CRLF
    const out = chain.push('c2s', Buffer.from('\r\n'));
    expect(out.map(text)).toEqual(['c2s:HELO y\r\n']);
    expect(out[0].type === 'deliver' && out[0].marks?.map((m) => m.original?.toString())).toEqual(['HELO x']);
  });

  test('delays add up along the path', () => {
    const chain = createChain([
      createStage('latency', { ms: 100 }, ctx),
      createStage('slicer', { size: 2, delayMs: 10 }, ctx),
      createStage('latency', { ms: 5 }, ctx),
    ]);
    const out = chain.push('c2s', Buffer.from('abcdef'));
    expect(out.map((o) => [text(o), o.delayMs])).toEqual([['c2s:ab', 105], ['c2s:cd', 115], ['c2s:ef', 125]]);
  });

  test('swallowed bytes leave as a zero-byte deliver with the mark, skipping later stages', () => {
    const log: string[] = [];
    const chain = createChain([createStage('drop', { dir: 'c2s' }, ctx), recorder('after', log)]);
    const out = chain.push('c2s', Buffer.from('MAIL FROM:<a@b>\r\n'));
    expect(out).toHaveLength(1);
    expect(out[0].type === 'deliver' && [out[0].bytes.length, out[0].marks?.[0].action]).toEqual([0, 'dropped']);
    expect(log).toEqual([]);
  });

  test('after a close nothing more comes out', () => {
    const chain = createChain([createStage('reset', { after: 3 }, ctx)]);
    expect(chain.push('c2s', Buffer.from('abcdef')).map(text)).toEqual(['c2s:abc', 'c2s:', 'close:reset']);
    expect(chain.push('c2s', Buffer.from('more'))).toEqual([]);
    expect(chain.push('s2c', Buffer.from('more'))).toEqual([]);
  });

  test('open: a blocking stage refuses the connection', () => {
    const chain = createChain([createStage('latency', {}, ctx), createStage('block', {}, ctx)]);
    expect(chain.open().map(text)).toEqual(['close:reset']);
  });

  test('end: a partial line held by a stage is flushed through the stages after it', () => {
    const log: string[] = [];
    const chain = createChain([createStage('rewrite', {}, ctx), recorder('after', log)]);
    expect(chain.push('c2s', Buffer.from('QUI'))).toEqual([]);
    expect(chain.end('c2s').map(text)).toEqual(['c2s:QUI']);
    expect(log).toEqual(['after c2s QUI']);
  });

  test('an empty chain passes bytes unchanged', () => {
    const chain = createChain([]);
    const dirs: Direction[] = ['c2s', 's2c'];
    for (const dir of dirs) expect(chain.push(dir, Buffer.from('x')).map(text)).toEqual([`${dir}:x`]);
  });
});
