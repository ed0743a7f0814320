import { describe, expect, it } from 'vitest';
import { nameBreaks } from '../../renderer/lib/format.ts';

describe('nameBreaks', () => {
  it('cuts after the dots and the @ inside names only, and loses nothing', () => {
    const text = '1 of 6: bob@intellinet.example sends "Lunch" to sean@ntsol.example.';
    const parts = nameBreaks(text);
    expect(parts).toEqual(['1 of 6: bob@', 'intellinet.', 'example sends "Lunch" to sean@', 'ntsol.', 'example.']);
    expect(parts.join('')).toBe(text);
  });

  it('leaves text without names whole', () => {
    expect(nameBreaks('all steps done')).toEqual(['all steps done']);
    expect(nameBreaks('')).toEqual(['']);
  });
});
