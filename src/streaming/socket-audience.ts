import { Injectable } from '@nestjs/common';
import type { Namespace } from 'socket.io';

export type AudienceName = 'public' | 'admin';

/** How many socket clients each namespace has on this instance, read from Socket.IO itself. */
@Injectable()
export class SocketAudience {
  private readonly namespaces = new Map<AudienceName, Namespace>();

  /** Called by each gateway once its namespace exists. */
  track(name: AudienceName, namespace: Namespace): void {
    this.namespaces.set(name, namespace);
  }

  count(name: AudienceName): number {
    return this.namespaces.get(name)?.sockets.size ?? 0;
  }
}
