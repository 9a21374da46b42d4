package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// RevokeTimeout bounds a revocation request: signing out must not hang
// on a provider that does not answer.
const RevokeTimeout = 10 * time.Second

// Token type hints of RFC 7009 §2.1.
const (
	HintRefreshToken = "refresh_token"
	HintAccessToken  = "access_token"
)

// Revoke asks the provider to revoke token (RFC 7009), with hint
// HintRefreshToken, HintAccessToken or "". The client identifies itself
// as it does at the token endpoint. It takes at most RevokeTimeout.
// A provider without a revocation endpoint makes it do nothing.
// client nil means a default client; redirects are never followed, not
// even when client would (the error then wraps ErrRedirected).
func Revoke(ctx context.Context, c OAuthConfig, token, hint string, client *http.Client) error {
	if c.RevocationURL == "" || token == "" {
		return nil
	}
	if err := checkEndpoint("revocation endpoint", c.RevocationURL); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, RevokeTimeout)
	defer cancel()
	form := url.Values{"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	inHeader := c.AuthStyle == oauth2.AuthStyleInHeader
	if !inHeader {
		form.Set("client_id", c.ClientID)
		if c.ClientSecret != "" {
			form.Set("client_secret", c.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.RevocationURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revoking the token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if inHeader {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	host := req.URL.Host
	// The request carries the token and the client secret: no redirect.
	resp, err := noRedirects(client).Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("revoking the token: %w", err)
		}
		var rd *redirectError
		if errors.As(err, &rd) {
			return &explained{msg: "revoking the token: " + rd.Error(), err: err}
		}
		return &explained{msg: fmt.Sprintf("revoking the token: cannot reach %s: %v", host, err), err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil // RFC 7009 §2.2: also for a token that was already invalid
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg := clean(e.Error, 64)
		if e.Description != "" {
			msg += " (" + clean(e.Description, 200) + ")"
		}
		return fmt.Errorf("revoking the token: %s refused: %s", host, msg)
	}
	return fmt.Errorf("revoking the token: %s answered HTTP %s", host, resp.Status)
}

// SignOut forgets the sign-in of account when no TokenSource holds it
// (use TokenSource.SignOut when one does: it knows the newest token).
// It deletes the stored refresh token and revokes it at the provider
// where there is a revocation endpoint. Deleting comes first and is not
// undone by a failed revocation, which is best effort: the error says
// what failed. store and client may be nil. Each keychain call is given
// up after KeychainTimeout.
func SignOut(ctx context.Context, c OAuthConfig, account string, store RefreshStore, client *http.Client) error {
	return signOut(ctx, c, account, store, client, "", "")
}

// signOut deletes the stored refresh token of account and revokes it,
// and also refresh (when not the stored one); when there is no refresh
// token at all it revokes access instead.
func signOut(ctx context.Context, c OAuthConfig, account string, store RefreshStore, client *http.Client, refresh, access string) error {
	var errs []error
	var stored string
	if store = bounded(store); store != nil {
		// Read only what can be revoked: reading a locked keychain may
		// ask the user to unlock it.
		if c.CanRevoke() {
			var err error
			stored, err = store.RefreshToken(account)
			if err != nil && !errors.Is(err, ErrNoSecret) {
				errs = append(errs, err)
			}
		}
		if err := store.DeleteRefreshToken(account); err != nil {
			errs = append(errs, err)
		}
	}
	if c.CanRevoke() {
		var rts []string
		for _, rt := range []string{refresh, stored} {
			if rt != "" && !slices.Contains(rts, rt) {
				rts = append(rts, rt)
			}
		}
		for _, rt := range rts {
			if err := Revoke(ctx, c, rt, HintRefreshToken, client); err != nil {
				errs = append(errs, err)
			}
		}
		if len(rts) == 0 && access != "" {
			if err := Revoke(ctx, c, access, HintAccessToken, client); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
