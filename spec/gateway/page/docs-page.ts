// The page of docs/gateway.md's example; docs-example.spec.ts runs it in Chromium.
// docs:begin page
// page.ts, compiled for the browser (DOM lib, ES modules) and served under `root`.
import { GatewayClient } from 'peerchannel/browser';
import { Chat, Note } from '../fixtures/docs-contract.js';

const client = await GatewayClient.connect(); // token from location.hash
const chat = client.proxy(Chat);
client.status$.subscribe((s) => console.log(s.status, s.neighbors));
client.calls$(Chat, 'say').subscribe((call) => console.log(call.from, call.args[1]));
await chat.say('page', 'hello from a browser'); // flooded, as on Node
const names = await chat.to(client.peerId).whois(); // directed, with a reply
chat.all.whois().subscribe((reply) => reply.ok && console.log(reply.from, reply.value));

const notes = client.records(Note);
await notes.ready; // the node's snapshot is in
notes.changes$.subscribe((c) => console.log(c.kind, c.record.value.text));
await notes.add({ author: 'page', text: `${names} was here` }); // signed by the node
// docs:end
document.title = `done ${notes.query().length}`;
