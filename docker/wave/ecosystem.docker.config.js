// PM2 apps of the container (pm2-runtime, docker/wave/Dockerfile): ecosystem.config.js's two apps, with
// `telegram-stream` registered but not started (`autostart: false`). Wave decides when the daemon runs: its
// start replaces this stopped entry with the app definition it builds itself (telegramStreamApp(), with
// Wave's environment minus its secrets). pm2-runtime exits only when no app is online, and radio.wave
// always restarts, so a stopped daemon never ends the container.
import { apps as hostApps } from '../../ecosystem.config.js';

export const apps = hostApps.map((app) => (app.name === 'telegram-stream' ? { ...app, autostart: false } : app));
