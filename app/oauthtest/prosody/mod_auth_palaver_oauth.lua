-- mod_auth_palaver_oauth: password login as before, plus OAuth 2.0 SASL
-- mechanisms that check bearer tokens by introspection (RFC 7662).
--
-- Written for Palaver's tests (app/oauthtest) against Prosody 0.12. It is an
-- authentication provider:
--
--   authentication = "palaver_oauth"
--   palaver_oauth_introspection_url = "http://127.0.0.1:PORT/token/introspection"
--   palaver_oauth_client_id = "xmpp-server"      -- RFC 7662 client credentials,
--   palaver_oauth_client_secret = "..."          -- sent with HTTP Basic
--   palaver_oauth_scope = "xmpp"                 -- a token must carry this scope
--   palaver_oauth_issuer = "http://127.0.0.1:PORT" -- names the openid-configuration
--                                                -- in OAUTHBEARER's error challenge
--   palaver_oauth_password_provider = "internal_hashed" -- the default
--   palaver_oauth_timeout = 10                   -- seconds per introspection
--   palaver_oauth_token_type = "Bearer"          -- the token_type introspection
--                                                -- must report ("" accepts any)
--
-- Passwords: every provider method (test_password, create_user, ...) and the
-- password mechanisms (SCRAM-SHA-1, PLAIN) are those of the password provider
-- (mod_auth_internal_hashed), so accounts with passwords work as before.
--
-- OAuth: the SASL handler offers three more mechanisms, each of which takes
-- an access token, introspects it at the authorization server and accepts it
-- only when it is active, carries palaver_oauth_scope, and its subject
-- ("sub") is the user signing in, who must have an account here:
--   OAUTHBEARER (RFC 7628): "n,a=user@host," \1 "auth=Bearer TOKEN" \1
--     [host=... \1 port=... \1] \1. The authzid names the user (a bare JID of
--     this host, or a localpart); without one, the token's subject does.
--     On a bad token the server answers with the JSON error challenge
--     {"status":"invalid_token","scope":...,"openid-configuration":...}, waits
--     for the client's \1 and then fails with <not-authorized/>.
--   X-OAUTH2 (Google Talk): base64("\0" user "\0" token); user is a
--     localpart or a bare JID of this host.
--   X-MESSENGER-OAUTH2 (Windows Live Messenger): the token as is, NOT
--     base64-encoded, inside <auth/>; the user is the token's subject.
--
-- Prosody quirks this module works around:
--   * util.sasl keeps ONE global registry of mechanisms. A mechanism is
--     offered by a SASL handler whose profile has one of the backends it was
--     registered with: these three are registered with the backend
--     "palaver_oauth", which only this provider's profiles have. Do not load
--     mod_sasl_oauthbearer (community module) next to this one: it registers
--     OAUTHBEARER too and the last registration wins for every host.
--   * mod_saslauth base64-decodes the content of <auth/> before a mechanism
--     sees it. For X-MESSENGER-OAUTH2 a hook on the <auth/> element, run
--     before mod_saslauth's, re-encodes the raw token so that mod_saslauth's
--     decoding gives it back unchanged.
--   * The SASL handler runs inside the c2s session's async runner, so the
--     introspection request (net.http, which returns a promise when given no
--     callback) is awaited with util.async.wait_for without blocking the
--     server.

local sasl = require "util.sasl";
local http = require "net.http";
local async = require "util.async";
local promise = require "util.promise";
local timer = require "util.timer";
local json = require "util.json";
local base64 = require "util.encodings".base64;
local nodeprep = require "util.encodings".stringprep.nodeprep;
local jid_prepped_split = require "util.jid".prepped_split;

local host = module.host;
local log = module._log;

local password_provider_name = module:get_option_string("palaver_oauth_password_provider", "internal_hashed");
local introspection_url = module:get_option_string("palaver_oauth_introspection_url");
local client_id = module:get_option_string("palaver_oauth_client_id");
local client_secret = module:get_option_string("palaver_oauth_client_secret");
local required_scope = module:get_option_string("palaver_oauth_scope", "xmpp");
local issuer = module:get_option_string("palaver_oauth_issuer");
local openid_configuration = module:get_option_string("palaver_oauth_openid_configuration",
	issuer and (issuer:gsub("/+$", "") .. "/.well-known/openid-configuration"));
local request_timeout = module:get_option_number("palaver_oauth_timeout", 10);
local required_token_type = module:get_option_string("palaver_oauth_token_type", "Bearer");

if not introspection_url then
	module:log("error", "palaver_oauth_introspection_url is not set: every OAuth sign-in will fail");
end

-- The password provider, loaded next to this one (not as the host's provider).
module:depends("auth_" .. password_provider_name);
local passwords;
for _, p in ipairs(module:get_host_items("auth-provider")) do
	if p.name == password_provider_name then passwords = p; end
end
assert(passwords, "password provider " .. password_provider_name .. " not found");

-- introspect asks the authorization server about token. It returns the
-- decoded introspection response, or nil and an error message when the server
-- could not be asked or answered nonsense.
local function introspect(token)
	if not introspection_url then
		return nil, "no introspection URL configured";
	end
	if not async.ready() then
		return nil, "not called from an async runner";
	end
	local headers = {
		["Accept"] = "application/json";
		["Content-Type"] = "application/x-www-form-urlencoded";
	};
	if client_id then
		-- RFC 6749 2.3.1: form-encode id and secret, then HTTP Basic.
		headers["Authorization"] = "Basic " .. base64.encode(
			http.urlencode(client_id) .. ":" .. http.urlencode(client_secret or ""));
	end
	local body = http.formencode({
		{ name = "token", value = token };
		{ name = "token_type_hint", value = "access_token" };
	});
	local p = promise.new(function (resolve, reject)
		local done = false;
		local req = http.request(introspection_url, { method = "POST"; body = body; headers = headers },
			function (response_body, code)
				done = true;
				if code == 0 then
					reject("connection failed: " .. tostring(response_body));
				else
					resolve({ code = code, body = response_body });
				end
			end);
		timer.add_task(request_timeout, function ()
			if not done then
				done = true;
				if req then pcall(http.destroy_request, req); end
				reject("timed out after " .. request_timeout .. " s");
			end
		end);
	end);
	local response, err = async.wait_for(p);
	if not response then
		return nil, tostring(err);
	end
	if response.code ~= 200 then
		return nil, ("introspection answered HTTP %d: %s"):format(response.code, tostring(response.body):sub(1, 200));
	end
	local info = json.decode(response.body);
	if type(info) ~= "table" then
		return nil, "introspection answered no JSON object";
	end
	return info;
end

local function has_scope(scopes, wanted)
	if type(scopes) ~= "string" then return false; end
	for s in scopes:gmatch("%S+") do
		if s == wanted then return true; end
	end
	return false;
end

-- localpart returns the nodeprepped localpart named by user, a localpart or a
-- bare JID of this host, or nil when user names nothing valid here.
local function localpart(user)
	if user:find("@", 1, true) then
		local node, domain, resource = jid_prepped_split(user);
		if not node or domain ~= host or resource then return nil; end
		return node;
	end
	return nodeprep(user);
end

-- check_token validates token for user (a localpart, or nil to take the user
-- from the token's subject). It returns the localpart on success; otherwise
-- nil, a kind ("invalid_token", "insufficient_scope" or "temporary") and a
-- message for the log.
local function check_token(token, user)
	local info, err = introspect(token);
	if not info then
		return nil, "temporary", "introspection failed: " .. err;
	end
	if info.active ~= true then
		return nil, "invalid_token", "token is not active";
	end
	-- Introspection answers for refresh tokens too (active, same sub and
	-- scope): accept only what the server calls an access token of the
	-- required type. oidc-provider gives access tokens token_type "Bearer"
	-- and refresh tokens none.
	if required_token_type ~= "" and (type(info.token_type) ~= "string" or info.token_type:lower() ~= required_token_type:lower()) then
		return nil, "invalid_token", ("not an access token (token_type %s)"):format(tostring(info.token_type));
	end
	if not has_scope(info.scope, required_scope) then
		return nil, "insufficient_scope", ("token lacks scope %q (has %q)"):format(required_scope, tostring(info.scope));
	end
	local subject = type(info.sub) == "string" and nodeprep(info.sub) or nil;
	if not subject or subject == "" then
		return nil, "invalid_token", "token has no usable subject";
	end
	if user and user ~= subject then
		return nil, "invalid_token", ("token belongs to %q, not %q"):format(subject, user);
	end
	if not passwords.user_exists(subject) then
		return nil, "invalid_token", ("no account %q on %s"):format(subject, host);
	end
	return subject;
end

-- OAUTHBEARER (RFC 7628) -----------------------------------------------------

-- parse_oauthbearer splits a client response into the authzid (or nil) and
-- the key/value pairs, or returns nil and a reason.
local function parse_oauthbearer(message)
	-- gs2-header = gs2-cb-flag "," [ gs2-authzid ] ","
	local cb_flag, authzid_field, rest = message:match("^([^,]*),([^,]*),(.*)$");
	if not cb_flag then return nil, "no GS2 header"; end
	if cb_flag ~= "n" and cb_flag ~= "y" then
		return nil, "channel binding is not supported";
	end
	local authzid;
	if authzid_field ~= "" then
		local saslname = authzid_field:match("^a=(.+)$");
		if not saslname then return nil, "bad authzid field"; end
		-- saslname: "," and "=" are escaped as "=2C" and "=3D".
		local bad = false;
		authzid = saslname:gsub("=(.?.?)", function (code)
			if code == "2C" then return ","; elseif code == "3D" then return "="; end
			bad = true;
		end);
		if bad then
			return nil, "bad escape in authzid";
		end
	end
	-- kvsep *kvpair kvsep, with kvpair = key "=" value kvsep
	if rest:sub(1, 1) ~= "\1" or rest:sub(-1) ~= "\1" then
		return nil, "missing separators";
	end
	local pairs_text = rest:sub(2, -2);
	local kv = {};
	local pos = 1;
	while pos <= #pairs_text do
		local key, value, next_pos = pairs_text:match("^([A-Za-z]+)=([^\1]*)\1()", pos);
		if not key then return nil, "malformed key/value pair"; end
		kv[key] = value;
		pos = next_pos;
	end
	return authzid, kv;
end

local function oauthbearer_error(status)
	return json.encode({
		status = status;
		scope = required_scope;
		["openid-configuration"] = openid_configuration;
	});
end

local function oauthbearer(self, message)
	if self.palaver_oauth_failed then
		-- RFC 7628 3.2.3: after the error challenge the client sends a
		-- single \1 (or anything else), and the exchange fails.
		return "failure", "not-authorized", self.palaver_oauth_failed;
	end
	if message == nil and not self.palaver_oauth_asked then
		-- No initial response: ask for it with an empty challenge.
		self.palaver_oauth_asked = true;
		return "challenge", "";
	end
	if not message or message == "" then
		return "failure", "malformed-request", "empty OAUTHBEARER response";
	end
	local authzid, kv = parse_oauthbearer(message);
	if not authzid and type(kv) ~= "table" then
		log("debug", "OAUTHBEARER: malformed response: %s", kv);
		return "failure", "malformed-request", "OAUTHBEARER: " .. tostring(kv);
	end
	local user;
	if authzid then
		user = localpart(authzid);
		if not user then
			return "failure", "invalid-authzid", "authzid must be a user of " .. host;
		end
	end
	local token = kv.auth and kv.auth:match("^[Bb][Ee][Aa][Rr][Ee][Rr] +(%S+)$");
	if not token then
		return "failure", "malformed-request", "OAUTHBEARER: no auth=Bearer field";
	end
	log("debug", "OAUTHBEARER for %s (host=%s port=%s)", authzid or "(token subject)", tostring(kv.host), tostring(kv.port));
	local username, kind, why = check_token(token, user);
	if not username then
		if kind == "temporary" then
			log("warn", "OAUTHBEARER: %s", why);
			return "failure", "temporary-auth-failure", "cannot check the token now";
		end
		log("info", "OAUTHBEARER refused: %s", why);
		self.palaver_oauth_failed = why;
		return "challenge", oauthbearer_error(kind);
	end
	log("info", "OAUTHBEARER: %s signed in with a token", username);
	self.username = username;
	return "success";
end

-- X-OAUTH2 (Google) ----------------------------------------------------------

local function x_oauth2(self, message)
	if not message or message == "" then
		return "failure", "malformed-request", "empty X-OAUTH2 response";
	end
	-- authzid NUL authcid NUL token
	local authzid, authcid, token = message:match("^([^\0]*)\0([^\0]+)\0([^\0]+)$");
	if not authcid then
		return "failure", "malformed-request", "X-OAUTH2: expected \\0user\\0token";
	end
	local user = localpart(authcid);
	if not user then
		return "failure", "not-authorized", "unknown user";
	end
	if authzid ~= "" and localpart(authzid) ~= user then
		return "failure", "invalid-authzid", "authzid differs from the user";
	end
	local username, kind, why = check_token(token, user);
	if not username then
		log(kind == "temporary" and "warn" or "info", "X-OAUTH2 refused: %s", why);
		if kind == "temporary" then
			return "failure", "temporary-auth-failure", "cannot check the token now";
		end
		return "failure", "not-authorized", "invalid token";
	end
	log("info", "X-OAUTH2: %s signed in with a token", username);
	self.username = username;
	return "success";
end

-- X-MESSENGER-OAUTH2 (Windows Live Messenger) --------------------------------

local function x_messenger_oauth2(self, message)
	if not message or message == "" then
		return "failure", "malformed-request", "empty X-MESSENGER-OAUTH2 response";
	end
	local username, kind, why = check_token(message, nil);
	if not username then
		log(kind == "temporary" and "warn" or "info", "X-MESSENGER-OAUTH2 refused: %s", why);
		if kind == "temporary" then
			return "failure", "temporary-auth-failure", "cannot check the token now";
		end
		return "failure", "not-authorized", "invalid token";
	end
	log("info", "X-MESSENGER-OAUTH2: %s signed in with a token", username);
	self.username = username;
	return "success";
end

-- util.sasl's registry is global (see the top of this file).
sasl.registerMechanism("OAUTHBEARER", { "palaver_oauth" }, oauthbearer);
sasl.registerMechanism("X-OAUTH2", { "palaver_oauth" }, x_oauth2);
sasl.registerMechanism("X-MESSENGER-OAUTH2", { "palaver_oauth" }, x_messenger_oauth2);

-- mod_saslauth base64-decodes <auth/>; X-MESSENGER-OAUTH2 sends the token as
-- is, so encode it first (priority 10: before mod_saslauth's handler at 0).
module:hook("stanza/urn:ietf:params:xml:ns:xmpp-sasl:auth", function (event)
	local session, stanza = event.origin, event.stanza;
	if stanza.attr.mechanism ~= "X-MESSENGER-OAUTH2" or session.type ~= "c2s_unauthed" then
		return; -- not ours: mod_saslauth handles it
	end
	if #stanza.tags > 0 then
		return; -- mod_saslauth will fail it
	end
	local raw = (stanza:get_text() or ""):match("^%s*(.-)%s*$");
	for i = #stanza, 1, -1 do stanza[i] = nil; end
	if raw ~= "" then
		stanza[1] = base64.encode(raw);
	end
end, 10);

-- The provider --------------------------------------------------------------

local provider = { name = "palaver_oauth" };

function provider.test_password(username, password)
	return passwords.test_password(username, password);
end

function provider.get_password(username)
	if passwords.get_password then return passwords.get_password(username); end
	return nil, "method not implemented";
end

function provider.set_password(username, password)
	return passwords.set_password(username, password);
end

function provider.user_exists(username)
	return passwords.user_exists(username);
end

function provider.users()
	return passwords.users();
end

function provider.create_user(username, password)
	return passwords.create_user(username, password);
end

function provider.delete_user(username)
	return passwords.delete_user(username);
end

function provider.get_sasl_handler(session)
	-- The password provider's handler, plus the OAuth backend. util.sasl
	-- caches the mechanism list in the profile, so build a new profile.
	local inner = passwords.get_sasl_handler(session);
	local profile = {};
	for k, v in pairs(inner.profile) do
		if k ~= "mechanisms" then profile[k] = v; end
	end
	profile.palaver_oauth = true;
	return sasl.new(inner.realm or host, profile);
end

module:provides("auth", provider);
