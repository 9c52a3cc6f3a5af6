import { Module } from '@nestjs/common';
import { Pm2Repository } from './pm2.repository.js';

/** The one PM2 connection of this process: every module that needs PM2 imports this (Nest keeps one instance). */
@Module({
  providers: [Pm2Repository],
  exports: [Pm2Repository],
})
export class Pm2Module {}
