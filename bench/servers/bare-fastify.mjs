// The baseline for the HTTP benchmark: one bare Fastify route answering a JSON body shaped like Wave's status.
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const status = {
  rtmp: { state: 'stopped', publishers: 0, port: null, detail: null },
  telegram: { state: 'stopped', connection: 'stopped', source: null, reconnects: 0, detail: null },
  nowPlaying: null,
  listeners: { public: 0, admin: 0 },
};
const app = Fastify({ logger: false });
app.get('/status', async () => ({ ...status, updatedAt: new Date().toISOString() }));
process.on('message', (message) => {
  if (message === 'stop') void app.close().then(() => process.exit(0));
});
await app.listen({ port, host: '127.0.0.1' });
process.send('ready');
