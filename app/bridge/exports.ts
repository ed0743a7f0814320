/**
 * Downloads for the browser front-end (SPEC §8 "Exports"): the running lab's capture as pcapng
 * (with the Decryption Secrets Block, so Wireshark opens TLS with the lab's keys) and the NSS key
 * log. GET only, our own Host only, nothing but what the lab already shows.
 *
 *   GET /export/capture.pcapng      application/x-pcapng
 *   GET /export/keylog.txt          text/plain
 *   GET /export/grid/<cell>.pcapng  a cell of the last compatibility grid run (docs/grid.md)
 */
import type http from 'node:http';
import type { ApiSession } from '../api/session.ts';
import { exportKeyLog, pcapngBuffer } from '../capture/pcapng.ts';
import { gridStoreOf } from '../api/grid.ts';

export const EXPORT_PREFIX = '/export/';

export function exportHandler(session: ApiSession, headers: () => Record<string, string>): (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => void {
  return (req, res, pathname) => {
    const send = (status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers(), 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const rest = pathname.slice(EXPORT_PREFIX.length);
    if (rest.startsWith('grid/')) {
      // A grid cell's capture needs no running lab: the cell's lab has come and gone.
      const data = gridStoreOf(session).capture(rest.slice('grid/'.length));
      if (!data) return send(404, 'No such grid cell capture\n', 'text/plain; charset=utf-8');
      return send(200, data, 'application/x-pcapng', { 'Content-Disposition': `attachment; filename="${rest.slice('grid/'.length)}"` });
    }
    let lab;
    try {
      lab = session.lab;
    } catch (error) {
      return send(409, `${(error as Error).message}\n`, 'text/plain; charset=utf-8');
    }
    const name = (session.snapshot().scenario?.id ?? 'lab').replace(/[^A-Za-z0-9._-]/g, '_');
    switch (pathname.slice(EXPORT_PREFIX.length)) {
      case 'capture.pcapng': {
        lab.markLeaks();
        const data = pcapngBuffer(lab.capture, lab.capture.allKeys());
        return send(200, data, 'application/x-pcapng', { 'Content-Disposition': `attachment; filename="${name}.pcapng"` });
      }
      case 'keylog.txt':
        return send(200, exportKeyLog(lab.capture.allKeys()), 'text/plain; charset=utf-8', { 'Content-Disposition': `attachment; filename="${name}-keylog.txt"` });
      default:
        return send(404, 'Not Found\n', 'text/plain; charset=utf-8');
    }
  };
}
