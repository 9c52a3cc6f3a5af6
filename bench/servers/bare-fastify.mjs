// The baseline for the HTTP benchmark: a bare Fastify server (no middleware, no plugins) with one route answering
// the JSON body the parent gives (BENCH_BODY: Wave's own status body), its `updatedAt` made anew as Wave's is, so
// both servers serialize the same object and write the same number of body bytes per request.
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const body = JSON.parse(process.env.BENCH_BODY ?? '{}');
const app = Fastify({ logger: false });
app.get('/status', async () => ({ ...body, updatedAt: new Date().toISOString() }));
process.on('message', (message) => {
  if (message === 'stop') void app.close().then(() => process.exit(0));
});
await app.listen({ port, host: '127.0.0.1' });
process.send('ready');
