import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { testEnv } from '../env/index.js';

// The shared test environment itself: a reachable engine and a runnable nginx-rtmp image.
describe('test environment', () => {
  it('reaches the Docker engine and runs nginx -t in the rtmp image', async () => {
    const docker = new Docker({ socketPath: testEnv.dockerHost().replace('unix://', '') });
    expect(await docker.ping()).toBeTruthy();
    const container = await docker.createContainer({
      Image: testEnv.rtmpImage(),
      Cmd: ['/usr/sbin/nginx', '-t'],
      HostConfig: { AutoRemove: false },
    });
    try {
      await container.start();
      const { StatusCode } = await container.wait();
      const logs = (await container.logs({ stdout: true, stderr: true })).toString();
      expect(logs).toContain('test is successful');
      expect(StatusCode).toBe(0);
    } finally {
      await container.remove({ force: true });
    }
  });
});
