import type { PeerId } from '../lib/identity/peer-id.js';
import { pathToFileURL } from 'node:url';
import { FrameKind, checkWireValue, decodeBody, decodeFrame, defaultFrameLimits, encodeBody, encodeFrame, packr } from '../lib/codec/index.js';

/**
 * The inbound codec path of one flooded chat message (decode the frame, then its body), with the
 * bounded decoder and, interleaved in the same process so machine noise hits both alike, with
 * msgpackr alone (what the codec did before the wire check).
 */
export async function run(): Promise<void> {
  const body = encodeBody({ type: 'call', id: new Uint8Array(16).fill(7), origin: 'a'.repeat(64) as PeerId, target: null, contract: 'chat', operation: 'say', args: ['alice', 'x'.repeat(60)], wantsReply: false });
  const frame = encodeFrame({ kind: FrameKind.Flood, hops: null, travelled: 1, body, sig: null });
  const rounds = 5;
  const n = 200_000;
  const checked: number[] = [];
  const plain: number[] = [];
  const checkOnly: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    for (let i = 0; i < n; i++) decodeBody((decodeFrame(frame) as { body: Uint8Array }).body);
    checked.push(performance.now() - t);
    t = performance.now();
    for (let i = 0; i < n; i++) packr.unpack(((packr.unpack(frame) as unknown[])[3] as Uint8Array));
    plain.push(performance.now() - t);
    t = performance.now();
    for (let i = 0; i < n; i++) {
      checkWireValue(frame, defaultFrameLimits);
      checkWireValue(body, defaultFrameLimits);
    }
    checkOnly.push(performance.now() - t);
  }
  const ns = (ms: number[]) => `${Math.round((Math.min(...ms) * 1e6) / n)}–${Math.round((Math.max(...ms) * 1e6) / n)} ns`;
  console.log(`codec, one ${frame.length}-byte flood frame + ${body.length}-byte body, ${rounds} rounds of ${n.toLocaleString('en-US')}:`);
  console.log(`  bounded decode (check + msgpackr + shape): ${ns(checked)} per message`);
  console.log(`  msgpackr alone (no check, no shape):        ${ns(plain)} per message`);
  console.log(`  wire check alone (frame + body):            ${ns(checkOnly)} per message`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
