/** Hex + ASCII rows for the bytes pane, 16 bytes a row, as Wireshark and `xxd` lay them out. */

export interface HexRow {
  /** Offset of the row's first byte. */
  offset: number;
  /** "45 00 00 3c …", two groups of eight separated by a double space. */
  hex: string;
  /** Printable ASCII, other bytes as ".". */
  ascii: string;
}

export function hexRows(bytes: Buffer, width = 16): HexRow[] {
  const rows: HexRow[] = [];
  for (let at = 0; at < bytes.length; at += width) {
    const row = bytes.subarray(at, at + width);
    let hex = '';
    let ascii = '';
    for (let i = 0; i < row.length; i++) {
      if (i > 0) hex += i === 8 ? '  ' : ' ';
      hex += row[i].toString(16).padStart(2, '0');
      ascii += row[i] >= 0x20 && row[i] < 0x7f ? String.fromCharCode(row[i]) : '.';
    }
    rows.push({ offset: at, hex, ascii });
  }
  return rows;
}

/** Text for Follow Stream: printable bytes and line breaks kept, everything else as ".". */
export function followText(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[^\t\n\r\x20-\x7e]/g, '.');
}
