/**
 * Downloads for the browser front-end (docs/packet-view.md, "What the view shows"), from app/api/exports.ts: GET only, our
 * own Host only, nothing but what the lab already shows.
 *
 *   GET /export/capture.pcapng      application/x-pcapng (?point=ID: that capture point alone)
 *   GET /export/keylog.txt          text/plain
 *   GET /export/transcripts.txt     text/plain
 *   GET /export/report.html         text/html (as an attachment, never rendered by us)
 *   GET /export/grid/<cell>.pcapng  a cell of the last compatibility grid run (docs/grid.md)
 */
import type http from 'node:http';
import { exportFile, type ExportKind } from '../api/exports.ts';
import { gridStoreOf } from '../api/grid.ts';
import { ApiFailure, type ApiSession } from '../api/session.ts';

export const EXPORT_PREFIX = '/export/';

const ROUTES: Record<string, ExportKind> = {
  'capture.pcapng': 'capture',
  'keylog.txt': 'keylog',
  'transcripts.txt': 'transcripts',
  'report.html': 'report',
};

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
    const kind = Object.hasOwn(ROUTES, rest) ? ROUTES[rest] : undefined;
    if (!kind) return send(404, 'Not Found\n', 'text/plain; charset=utf-8');
    const point = kind === 'capture' ? new URL(req.url ?? '/', 'http://export').searchParams.get('point') ?? undefined : undefined;
    let file;
    try {
      file = exportFile(session, kind, { point });
    } catch (error) {
      const status = error instanceof ApiFailure && error.code === 'not-found' ? 404 : 409;
      return send(status, `${(error as Error).message}\n`, 'text/plain; charset=utf-8');
    }
    return send(200, file.data, file.type, { 'Content-Disposition': `attachment; filename="${file.name}"` });
  };
}
