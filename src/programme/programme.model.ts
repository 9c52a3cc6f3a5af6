/**
 * The programme's model. It lives in src/contracts/programme.ts, so the repositories (which map rows to it) import no
 * feature folder; this re-export keeps `./programme.model.js` working for the programme's own files.
 */
export * from '../contracts/programme.js';
