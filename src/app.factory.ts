import multipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest, RawServerDefault } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { WinstonModule } from 'nest-winston';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type { Logger as WinstonLogger } from 'winston';
import type { AccessLog } from './common/access-log.js';
import { AppModule } from './app.module.js';
import { ApiAuth } from './auth/api-auth.js';
import { documentSharedErrors, ErrorResponseDto } from './common/error-response.dto.js';
import { jsonBodyLimitError } from './common/json-body-limits.js';
import { securityHeaders } from './common/security-headers.js';
import { WaveValidationPipe } from './common/wave-validation.pipe.js';
import { AppConfig } from './config/app-config.js';
import { Database } from './database/database.js';
import { registerLeaderForwarding } from './leadership/leader-forwarding.js';
import { LeadershipService } from './leadership/leadership.service.js';
import { FileLockRepository } from './repositories/file-lock.repository.js';
import { WaveSocketAdapter } from './realtime/wave-socket.adapter.js';

/** Largest JSON body accepted; uploads go through multipart with their own limit. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
// package.json sits one level above both src/ and dist/; npm_package_version is only set under `npm run`.
const { version, license } = createRequire(import.meta.url)('../package.json') as { version: string; license: string };

/** Builds the whole Wave HTTP application (used by main.ts, the tests' in-process needs and the benchmarks). */
export async function createWaveApp(config: AppConfig, winston: WinstonLogger, accessLog: AccessLog): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Only the proxies the operator names (WAVE_TRUST_PROXY) may say who the client is: request.ip is then the client.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    requestIdHeader: 'x-request-id',
    // No Nest middleware (MiddlewareConsumer) in Wave: without @fastify/middie a request skips its hook.
    skipMiddie: true,
    // A caller's own id is kept when it is sane, so a request can be followed across systems.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // The router's own refusals (a malformed percent-encoding, a parameter over 100 characters) come before any
    // route, hook or Nest filter; without this Fastify answers them in its shape (one message string, no id).
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 400;
      void reply
        .header('x-request-id', request.id)
        .code(status)
        .send({
          statusCode: status,
          error: STATUS_CODES[status] ?? 'Error',
          code: error.code.toLowerCase(),
          message: [error.message],
          requestId: request.id,
        });
    },
  });
  const fileLocks = new FileLockRepository();
  const database = await Database.open(config, {
    exclusive: (file, migrate) => fileLocks.withLock(file, migrate, fileLocks.timings.patientWaitMs),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, database), adapter, {
    logger: WinstonModule.createLogger({ instance: winston }),
    bufferLogs: true,
    // Only the JSON parser below: no route takes a form, and a urlencoded body of 250,000 repeated keys would be
    // an array no bound checks (415 instead). Uploads are multipart, parsed by the route.
    bodyParser: false,
  });

  const fastify = app.getHttpAdapter().getInstance();
  // Depth and array sizes are judged on the raw bytes before the body is parsed, so a hostile nest is a cheap
  // 400 instead of a stack overflow or a stalled event loop in class-transformer; then Fastify's own parser
  // (prototype-poisoning checks included) as Nest would have used it.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    const refused = jsonBodyLimitError(body);
    if (refused) done(refused, undefined);
    // The default parser answers through `done`; its type also admits the promise-returning form, hence `void`.
    else void parseJson(request, body.toString('utf8'), done);
  });
  // Helmet's headers, worked out once (see securityHeaders), and the request id, in one synchronous hook: it runs
  // for every request, and each async hook costs a promise per request.
  const headers = securityHeaders({
    // Swagger UI needs inline styles and scripts; everything else is JSON.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  // The docs are Fastify routes of SwaggerModule's, outside Nest's guards: they follow the rule of reads under
  // /api (open, or behind the token with WAVE_PROTECT_READS), since the document maps every route there is.
  const auth = app.get(ApiAuth);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(headers).header('x-request-id', request.id);
    if (!request.routeOptions.url?.startsWith('/api/docs')) return done();
    auth.authorizeRequest(request, reply).then(
      () => done(),
      (error: Error) => done(error),
    );
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    accessLog.request({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      path: request.url.split('?')[0],
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      requestId: request.id,
    });
    done();
  });

  // Followers hand station commands to the leader (after the body is parsed, before Nest's guards: the leader judges).
  await registerLeaderForwarding(fastify, app.get(LeadershipService));
  // Track uploads (POST /api/tracks/upload) stream to disk; the route sets the size limit (TRACK_UPLOAD_MAX_MB).
  await app.register(multipart, { limits: { files: 1, fields: 4, fieldSize: 4096 } });
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
      credentials: !config.corsOrigins.includes('*'),
      exposedHeaders: ['x-request-id'],
    });
  }
  app.useGlobalPipes(new WaveValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }));

  const document = documentSharedErrors(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Wave')
        .setDescription(
          'Control plane of an internet radio station: RTMP ingest (nginx-rtmp in Docker), Telegram stream ' +
            '(PM2-supervised ffmpeg), track library, monitoring. When WAVE_API_TOKEN is set, requests that change ' +
            'state need `Authorization: Bearer <token>`. Every error has the shape of ErrorResponseDto.',
        )
        .setVersion(version)
        .setLicense(license, `https://spdx.org/licenses/${license}.html`)
        // Relative: the document is served by the Wave it describes, on whatever host and port it was reached.
        .addServer('/', 'This Wave')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'WAVE_API_TOKEN' })
        .addSecurityRequirements('bearer')
        .build(),
      { extraModels: [ErrorResponseDto] },
    ),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });

  // Socket.IO on SOCKET_PORT (its own port), through Redis when REDIS_URL is set; app.close() closes it.
  const sockets = new WaveSocketAdapter(app, config);
  await sockets.connect();
  app.useWebSocketAdapter(sockets);
  await app.init();
  await sockets.listening();
  return app;
}
