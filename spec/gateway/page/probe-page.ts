// The gateway spec's browser page: connects, then hands the spec what it drives.
import { GatewayClient } from 'peerchannel/browser';
import { Note, Probe } from '../fixtures/probe-contract.js';

const status = document.querySelector('#status') as HTMLElement;
try {
  const client = await GatewayClient.connect();
  (globalThis as Record<string, unknown>).harness = { client, Probe, Note };
  status.textContent = `connected ${client.peerId}`;
} catch (error) {
  status.textContent = `failed ${(error as { code?: string }).code ?? String(error)}`;
}
