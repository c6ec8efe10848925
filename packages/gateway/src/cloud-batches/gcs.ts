/**
 * The Cloud Storage JSON API operations the Vertex AI batch APIs need, with the Vertex bearer token,
 * over the gateway's egress-checked dispatcher: simple and resumable uploads (parts of a fixed size,
 * a multiple of 256 KiB), object metadata, streamed download and delete.
 */
import { badRequest } from '../errors.js';
import { cloudCall, cloudError, jsonOf, readBounded, SMALL_ANSWER_MAX, type CloudHttp, type CloudRequest, type CloudResponse } from './http.js';
import type { PartWriter } from './upload.js';

export interface GcsLocation { bucket: string; name: string }

export interface GcsAccess {
  http: CloudHttp;
  /** https://storage.googleapis.com, or VERTEX_STORAGE_ENDPOINT. */
  base: string;
  /** The Authorization header value (Bearer …) for this call. */
  authorization(): Promise<string>;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

export function parseGsUri(uri: string, param: string): GcsLocation {
  const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m || !BUCKET_RE.test(m[1]!)) throw badRequest(`${param} must be a gs://bucket/object URI (as files.create returns it), not "${uri.slice(0, 120)}".`, param);
  return { bucket: m[1]!, name: m[2]! };
}

export function checkGcsBucket(bucket: string, param: string): void {
  if (!BUCKET_RE.test(bucket)) throw badRequest(`${param} "${bucket.slice(0, 80)}" is not a Cloud Storage bucket name.`, param);
}

async function send(g: GcsAccess, req: CloudRequest): Promise<CloudResponse> {
  return cloudCall(g.http, { ...req, headers: { ...req.headers, authorization: await g.authorization() } }, 'cloud-storage');
}

async function failure(res: CloudResponse, what: string): Promise<never> {
  const json = jsonOf(await readBounded(res.body, SMALL_ANSWER_MAX, 'cloud-storage').catch(() => ''));
  const e = (json?.error ?? {}) as { message?: string; status?: string; errors?: Array<{ reason?: string }> };
  const hint = res.status === 403 ? `the credentials need Cloud Storage access to ${what}` : res.status === 404 ? `check the bucket and object of ${what}` : undefined;
  throw cloudError('cloud-storage', res.status, e.status ?? e.errors?.[0]?.reason, e.message, hint);
}

const objectUrl = (g: GcsAccess, l: GcsLocation, query = '') => `${g.base}/storage/v1/b/${encodeURIComponent(l.bucket)}/o/${encodeURIComponent(l.name)}${query}`;
const uploadUrl = (g: GcsAccess, l: GcsLocation, type: 'media' | 'resumable') => `${g.base}/upload/storage/v1/b/${encodeURIComponent(l.bucket)}/o?uploadType=${type}&name=${encodeURIComponent(l.name)}`;
const where = (l: GcsLocation) => `gs://${l.bucket}/${l.name}`;

/** Uploads in parts through a resumable session; a file that fits one part goes in one simple upload. */
export function gcsWriter(g: GcsAccess, loc: GcsLocation): PartWriter {
  let session: string | undefined;
  let sent = 0;
  const put = async (data: Buffer, total?: number): Promise<void> => {
    const range = data.length ? `bytes ${sent}-${sent + data.length - 1}/${total ?? '*'}` : `bytes */${total}`;
    const res = await send(g, { method: 'PUT', url: session!, headers: { 'content-range': range }, body: data });
    const expected = total === undefined ? 308 : 200;
    if (res.status !== expected && !(total !== undefined && res.status === 201)) return failure(res, where(loc));
    await res.body.dump();
    sent += data.length;
  };
  return {
    async part(data) {
      if (!session) {
        const res = await send(g, { method: 'POST', url: uploadUrl(g, loc, 'resumable'), headers: { 'content-type': 'application/json; charset=UTF-8', 'x-upload-content-type': 'application/jsonl' }, body: JSON.stringify({ contentType: 'application/jsonl' }) });
        if (res.status !== 200) return failure(res, where(loc));
        await res.body.dump();
        const location = res.headers.location;
        // The session URI must stay on the storage endpoint: a token is sent to it.
        if (!location || new URL(location, g.base).origin !== new URL(g.base).origin) throw cloudError('cloud-storage', 502, 'InvalidResponse', 'the resumable upload session is not on the storage endpoint');
        session = new URL(location, g.base).toString();
      }
      await put(data);
    },
    async finish(last) {
      if (!session) {
        const res = await send(g, { method: 'POST', url: uploadUrl(g, loc, 'media'), headers: { 'content-type': 'application/jsonl' }, body: last });
        if (res.status !== 200) return failure(res, where(loc));
        return void (await res.body.dump());
      }
      await put(last, sent + last.length);
    },
    async abort() {
      if (!session) return;
      // A DELETE on the session URI cancels a resumable upload (Cloud Storage answers 499).
      const res = await send(g, { method: 'DELETE', url: session, headers: {} }).catch(() => undefined);
      await res?.body.dump();
    },
  };
}

export async function gcsMetadata(g: GcsAccess, loc: GcsLocation): Promise<{ bytes: number; created: number | null }> {
  const res = await send(g, { method: 'GET', url: objectUrl(g, loc), headers: { accept: 'application/json' } });
  if (res.status !== 200) return failure(res, where(loc));
  const json = jsonOf(await readBounded(res.body, SMALL_ANSWER_MAX, 'cloud-storage')) ?? {};
  const created = typeof json.timeCreated === 'string' ? Date.parse(json.timeCreated) : NaN;
  return { bytes: Number(json.size ?? 0), created: Number.isFinite(created) ? Math.floor(created / 1000) : null };
}

export async function gcsDownload(g: GcsAccess, loc: GcsLocation): Promise<CloudResponse> {
  const res = await send(g, { method: 'GET', url: objectUrl(g, loc, '?alt=media'), headers: {} });
  if (res.status !== 200) return failure(res, where(loc));
  return res;
}

export async function gcsDelete(g: GcsAccess, loc: GcsLocation): Promise<void> {
  const res = await send(g, { method: 'DELETE', url: objectUrl(g, loc), headers: {} });
  if (res.status !== 204 && res.status !== 200) return failure(res, where(loc));
  await res.body.dump();
}
