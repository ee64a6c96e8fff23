// The authorization server the tests sign in against: oidc-provider, configured as a clinic's SMART
// on FHIR server would be. Started by `switchboard_testkit::authz::AuthServer` on 127.0.0.1.
//
// PORT           the port to listen on (the issuer is http://127.0.0.1:PORT)
// AUDIENCE       the FHIR server's base URL, the audience of every access token
// BACKEND_JWKS   a file holding the backend client's public JWKS (optional)
// ACCESS_TTL     access token lifetime in seconds (default 300)
// ID_TTL         id_token lifetime in seconds (default 300)
//
// Clients: `switchboard` (a public native app: PKCE S256, any loopback port, refresh tokens) and
// `switchboard-backend` (client_credentials with a private_key_jwt assertion, ES256).
// Accounts: any login name in USERS below; the password is not checked (oidc-provider's development
// login form, which the tests fill over HTTP). Consent is granted without a screen.

import fs from "node:fs";
import Provider from "oidc-provider";
import { generateKeyPair, exportJWK } from "jose";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const audience = process.env.AUDIENCE;
const backendJwks = process.env.BACKEND_JWKS ? JSON.parse(fs.readFileSync(process.env.BACKEND_JWKS, "utf8")) : { keys: [] };
const accessTtl = Number(process.env.ACCESS_TTL || 300);

// Who may sign in, and the Practitioner each one is.
const USERS = {
  ann: "Practitioner/prac-1",
  bo: "Practitioner/prac-2",
  cy: "Practitioner/prac-3",
  dee: "Practitioner/prac-4",
};

// dee's grant reaches Patient reads only (the server forbids the rest of a sync to her).
const GRANTED = { dee: "user/Patient.rs user/Patient.read" };

// SMART scopes in both syntaxes: v2 (`user/*.rs`) and v1 (`user/*.read`).
const FHIR_SCOPES = "user/*.rs user/*.cruds user/*.read user/*.write user/*.* system/*.rs system/*.cruds system/*.read system/*.write system/*.*";

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: "test-rs256", alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  jwks: { keys: [signing] },
  clients: [
    {
      client_id: "switchboard",
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: ["http://127.0.0.1/callback"],
    },
    {
      client_id: "switchboard-backend",
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: "ES256",
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      jwks: backendJwks,
    },
  ],
  pkce: { required: () => true, methods: ["S256"] },
  scopes: ["openid", "fhirUser", "offline_access"],
  claims: { openid: ["sub"], fhirUser: ["fhirUser"] },
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    if (!USERS[id]) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, fhirUser: USERS[id] }) };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid fhirUser offline_access");
    const granted = GRANTED[ctx.oidc.session.accountId];
    grant.addResourceScope(audience, granted ?? FHIR_SCOPES);
    // What is not granted is refused outright, not asked for on a consent page.
    if (granted) grant.rejectResourceScope(audience, FHIR_SCOPES);
    await grant.save();
    return grant;
  },
  async extraTokenClaims(_ctx, token) {
    return token.accountId ? { fhirUser: USERS[token.accountId] } : undefined;
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: `${FHIR_SCOPES} user/Patient.rs user/Patient.read`, audience, accessTokenFormat: "jwt", accessTokenTTL: accessTtl, jwt: { sign: { alg: "RS256" } } }),
    },
  },
  ttl: { AccessToken: accessTtl, IdToken: Number(process.env.ID_TTL || 300), RefreshToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1", () => console.log(`listening ${issuer}`));
