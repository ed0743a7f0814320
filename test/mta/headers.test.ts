import { describe, expect, it } from 'vitest';
import { headerBlock, headerValue, headerValues } from '../../app/mta/bounce.ts';

describe('header fields (read from the header block only)', () => {
  const message = Buffer.from('From: Alice <alice@intellinet.example>\r\nSubject: a long\r\n\tfolded subject\r\nX-Postcard-Message: m1\r\n\r\nSubject: not a header, a body line\r\nFrom: nor this\r\n');

  it('reads fields up to the first empty line, unfolded, never from the body', () => {
    expect(headerValues(message, ['From', 'Subject', 'X-Postcard-Message', 'Content-Type'])).toEqual({
      From: 'Alice <alice@intellinet.example>', Subject: 'a long folded subject', 'X-Postcard-Message': 'm1', 'Content-Type': undefined,
    });
    expect(headerValue(message, 'subject')).toBe('a long folded subject');
    expect(headerBlock(message)).toBe('From: Alice <alice@intellinet.example>\r\nSubject: a long\r\n\tfolded subject\r\nX-Postcard-Message: m1');
  });

  it('takes bare LF line ends and a message that is all header', () => {
    expect(headerBlock(Buffer.from('From: a\nSubject: s\n\nSubject: body\n'))).toBe('From: a\r\nSubject: s');
    expect(headerBlock(Buffer.from('From: a\r\nSubject: s\n\r\nbody'))).toBe('From: a\r\nSubject: s');
    expect(headerValue(Buffer.from('From: a\r\nSubject: only headers'), 'Subject')).toBe('only headers');
  });
});
