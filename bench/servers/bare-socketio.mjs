// The baseline for the delivery benchmark: a bare Socket.IO server (same package and defaults as Wave's)
// that broadcasts the same payload as Wave's `system` event on /admin when its parent asks over IPC.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2]);
const http = createServer();
const io = new Server(http, { serveClient: false });
const admin = io.of('/admin');

process.on('message', (message) => {
  if (message === 'emit') {
    admin.emit('system', {
      type: 'config.updated',
      message: 'telegram-config.json was updated',
      details: { document: 'telegram-config.json' },
      at: new Date().toISOString(),
    });
  } else if (message === 'stop') {
    io.close(() => process.exit(0));
  }
});
http.listen(port, '127.0.0.1', () => process.send('ready'));
