package app

import (
	"context"
	"io"
	"net/http"

	"github.com/palaver-im/palaver/account"
)

// WebGet downloads url with a's web client (certificates checked as for
// the account), for tests of uploads.
func WebGet(ctx context.Context, a account.Account, url string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := webClient(a).Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}
