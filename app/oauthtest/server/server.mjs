// A real OAuth 2.0 / OpenID Connect authorization server for Palaver's tests,
// built on oidc-provider (https://github.com/panva/node-oidc-provider).
//
// Started by the Go package github.com/palaver-im/palaver/app/oauthtest, one
// process per test, on 127.0.0.1 with a port of its own. Not for production:
// everything lives in memory, the login page is minimal and consent is given
// automatically.
//
// Configuration: a JSON object in the environment variable
// PALAVER_OAUTHTEST_CONFIG, written by the Go package's StartWith.
// Once it listens, the server prints a single line to standard output:
//   READY {"issuer": "http://127.0.0.1:PORT", ...}
// Everything else it prints is log.
//
// Besides what oidc-provider serves (discovery, /auth, /token,
// /token/introspection, /token/revocation, /jwks, /me, ...), it serves:
//   GET  /interaction/UID          the login page (or automatic consent)
//   POST /interaction/UID/login    checks username and password
//   POST /interaction/UID/abort    "Cancel": the client gets error=access_denied
//   POST /admin/...                test hooks, with "Authorization: Bearer ADMIN_TOKEN"
//     /admin/users   {"name", "password"}      add or change a test account
//     /admin/revoke  {"user", "what"}          what = "grants" (default: every
//                    grant, token and session of the user, so that refreshing
//                    fails with invalid_grant) or "access_tokens" (only the
//                    access tokens; refresh tokens keep working)
//     /admin/token   {"user", "scope"}         an access token minted directly,
//                    for negative tests only

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.PALAVER_OAUTHTEST_CONFIG || '{}');
const host = config.host || '127.0.0.1';
const clientId = config.clientId || 'palaver';
const scopes = config.scopes || ['openid', 'offline_access', 'xmpp'];
const accessTokenTTL = config.accessTokenTTL || 3600;
const refreshTokenTTL = config.refreshTokenTTL || 14 * 24 * 3600;
const adminToken = config.adminToken || '';
const introspection = {
  clientId: config.introspectionClientId || 'xmpp-server',
  clientSecret: config.introspectionClientSecret || crypto.randomBytes(24).toString('base64url'),
};

const users = new Map(Object.entries(config.users || {}));

function log(...args) {
  console.log(new Date().toISOString(), ...args);
}

// ---------------------------------------------------------------------------
// Storage: oidc-provider's adapter interface over one in-memory Map, so that
// the test hooks can find everything that belongs to a user.

const store = new Map(); // "Model:id" -> { payload, expiresAt (ms) }

class MemoryStore {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(this.key(id), { payload, expiresAt });
  }

  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(this.key(id));
      return undefined;
    }
    return entry.payload;
  }

  async findByUserCode(userCode) {
    return findWhere(this.model, (p) => p.userCode === userCode);
  }

  async findByUid(uid) {
    return findWhere(this.model, (p) => p.uid === uid);
  }

  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const [key, entry] of store) {
      if (key.startsWith(`${this.model}:`) && entry.payload.grantId === grantId) {
        store.delete(key);
      }
    }
  }
}

function findWhere(model, pred) {
  for (const [key, entry] of store) {
    if (key.startsWith(`${model}:`) && entry.expiresAt > Date.now() && pred(entry.payload)) {
      return entry.payload;
    }
  }
  return undefined;
}

// revokeUser deletes what belongs to user: with what = "grants", every
// grant, token, code and session; with "access_tokens", only access tokens.
function revokeUser(user, what) {
  const grantIds = new Set();
  for (const [key, entry] of store) {
    if (key.startsWith('Grant:') && entry.payload.accountId === user) {
      grantIds.add(entry.payload.jti);
    }
  }
  let n = 0;
  for (const [key, entry] of store) {
    const model = key.slice(0, key.indexOf(':'));
    const p = entry.payload;
    const mine = p.accountId === user || (p.grantId && grantIds.has(p.grantId));
    if (!mine) continue;
    if (what === 'access_tokens' ? model === 'AccessToken' : model !== 'Interaction') {
      store.delete(key);
      n += 1;
    }
  }
  return n;
}

// ---------------------------------------------------------------------------
// The provider.

const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(config.port || 0, host, resolve);
});
const { port } = server.address();
const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

// An EC key signs ID tokens (ES256): generating an RSA key would cost
// 0.1-0.5 s per start.
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'oauthtest', use: 'sig', alg: 'ES256' };

const provider = new Provider(issuer, {
  adapter: MemoryStore,
  clients: [
    {
      // Palaver: a public native client (RFC 8252). oidc-provider accepts
      // a loopback redirect URI of a native client on any port (RFC 8252
      // section 7.3), so these two stand for every port.
      client_id: clientId,
      client_name: 'Palaver (tests)',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: config.redirectUris || ['http://127.0.0.1/callback', 'http://[::1]/callback'],
    },
    {
      // The XMPP server: a confidential resource-server client that may
      // only introspect (RFC 7662).
      client_id: introspection.clientId,
      client_secret: introspection.clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  scopes,
  responseTypes: ['code'],
  enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
  // Every client, or its (lazily checked) metadata would be invalid.
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  claims: { openid: ['sub'], profile: ['preferred_username'] },
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    introspection: {
      enabled: true,
      // The XMPP server may introspect every token; a client only its own.
      allowedPolicy: async (ctx, client, token) => client.clientId === introspection.clientId
        || token.clientId === client.clientId,
    },
    revocation: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
    },
    rpInitiatedLogout: { enabled: false },
  },
  // Every refresh returns a new refresh token; the old one is spent, and
  // using it again revokes the whole grant (oidc-provider's reuse detection).
  rotateRefreshToken: true,
  // A refresh token for every code exchange of a client allowed the
  // refresh_token grant, with or without offline_access (as providers that
  // use their own scope for it, e.g. Live Connect's wl.offline_access).
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  // Tokens do not die with the browser session.
  expiresWithSession: async () => false,
  ttl: {
    AccessToken: accessTokenTTL,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: refreshTokenTTL,
    Interaction: 600,
    Session: 3600,
    Grant: refreshTokenTTL,
  },
  findAccount: async (ctx, sub) => {
    if (!users.has(sub)) return undefined;
    return {
      accountId: sub,
      claims: async () => ({ sub, preferred_username: sub }),
    };
  },
  interactions: {
    url: async (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = page('Sign-in failed', Object.entries(out)
      .map(([k, v]) => `<p><strong>${escape(k)}</strong>: ${escape(v)}</p>`).join(''));
  },
});

// Log what went wrong inside oidc-provider (a 500 answer says little).
provider.on('server_error', (ctx, err) => log('server_error:', err));

// ---------------------------------------------------------------------------
// Pages.

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><h1>${escape(title)}</h1>
${body}
</body></html>
`;
}

function loginForm(uid, { error, username } = {}) {
  return page('Sign in to the Palaver test server', `${error ? `<p class="error" id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" id="login">
<label>Username <input type="text" name="username" value="${escape(username || '')}" autofocus></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escape(uid)}/abort" id="cancel">
<button type="submit">Cancel</button>
</form>`);
}

function send(res, status, contentType, body) {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function constantEquals(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

// ---------------------------------------------------------------------------
// The interaction: login page, then consent given automatically.

async function interaction(req, res, uid, action) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    // Expired, unknown, or the browser lost the interaction cookie.
    send(res, 400, 'text/html; charset=utf-8', page('Sign-in failed', `<p>${escape(err.message)}</p>`));
    return;
  }
  if (details.uid !== uid) {
    send(res, 400, 'text/html; charset=utf-8', page('Sign-in failed', '<p>interaction mismatch</p>'));
    return;
  }
  const { prompt, params } = details;

  if (action === 'abort') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'the user cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
    return;
  }

  if (prompt.name === 'login') {
    if (action === undefined && req.method === 'GET') {
      send(res, 200, 'text/html; charset=utf-8', loginForm(uid));
      return;
    }
    if (action !== 'login' || req.method !== 'POST') {
      send(res, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    const username = form.get('username') || '';
    const password = form.get('password') || '';
    if (!users.has(username) || !constantEquals(users.get(username), password)) {
      log(`login: wrong username or password for ${JSON.stringify(username)}`);
      send(res, 401, 'text/html; charset=utf-8', loginForm(uid, { error: 'Wrong username or password.', username }));
      return;
    }
    log(`login: ${username} signed in`);
    await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
    return;
  }

  if (prompt.name === 'consent') {
    // Consent is given at once, for everything the client asked.
    const { accountId } = details.session;
    let grant;
    if (details.grantId) {
      grant = await provider.Grant.find(details.grantId);
    } else {
      grant = new provider.Grant({ accountId, clientId: params.client_id });
    }
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    if (d.missingResourceScopes) {
      for (const [indicator, s] of Object.entries(d.missingResourceScopes)) {
        grant.addResourceScope(indicator, s.join(' '));
      }
    }
    const grantId = await grant.save();
    log(`consent: ${accountId} granted ${JSON.stringify(params.scope)} to ${params.client_id}`);
    await provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  send(res, 400, 'text/html; charset=utf-8', page('Sign-in failed', `<p>unsupported prompt ${escape(prompt.name)}</p>`));
}

// ---------------------------------------------------------------------------
// Test hooks.

async function admin(req, res, what) {
  const auth = req.headers.authorization || '';
  if (!adminToken || !constantEquals(auth, `Bearer ${adminToken}`)) {
    send(res, 401, 'application/json', '{"error":"unauthorized"}\n');
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, 'application/json', '{"error":"method not allowed"}\n');
    return;
  }
  const body = JSON.parse((await readBody(req)) || '{}');
  const reply = (obj) => send(res, 200, 'application/json', `${JSON.stringify(obj)}\n`);
  switch (what) {
    case 'users':
      if (!body.name || typeof body.password !== 'string') throw new Error('name and password needed');
      users.set(body.name, body.password);
      log(`admin: account ${body.name} set`);
      reply({ ok: true });
      return;
    case 'revoke': {
      const n = revokeUser(body.user, body.what || 'grants');
      log(`admin: revoked ${body.what || 'grants'} of ${body.user} (${n} items)`);
      reply({ ok: true, revoked: n });
      return;
    }
    case 'token': {
      const client = await provider.Client.find(clientId);
      const grant = new provider.Grant({ accountId: body.user, clientId });
      grant.addOIDCScope(body.scope || scopes.join(' '));
      const grantId = await grant.save();
      const at = new provider.AccessToken({
        accountId: body.user,
        client,
        grantId,
        gty: 'authorization_code',
        scope: body.scope || scopes.join(' '),
      });
      const token = await at.save();
      log(`admin: minted an access token for ${body.user}`);
      reply({ access_token: token, expires_in: at.expiration });
      return;
    }
    default:
      send(res, 404, 'application/json', '{"error":"not found"}\n');
  }
}

// ---------------------------------------------------------------------------
// Routing.

const oidc = provider.callback();

server.on('request', (req, res) => {
  const started = Date.now();
  res.on('finish', () => {
    const path = req.url.split('?')[0];
    log(`${req.method} ${path} -> ${res.statusCode} (${Date.now() - started} ms)`);
  });
  const path = req.url.split('?')[0];
  let m;
  (async () => {
    if ((m = path.match(/^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/))) {
      await interaction(req, res, m[1], m[2]);
    } else if ((m = path.match(/^\/admin\/([a-z_]+)$/))) {
      await admin(req, res, m[1]);
    } else {
      oidc(req, res);
    }
  })().catch((err) => {
    log('error:', err);
    if (!res.headersSent) send(res, 500, 'text/plain', `${err.message}\n`);
    else res.end();
  });
});

const discovery = {
  issuer,
  clientId,
  introspectionClientId: introspection.clientId,
  introspectionClientSecret: introspection.clientSecret,
};
process.stdout.write(`READY ${JSON.stringify(discovery)}\n`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
