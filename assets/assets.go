// Package assets holds Palaver's bundled images.
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:generate go run ./internal/genicon -o icon.png

//go:embed icon.png
var iconPNG []byte

// Icon is the application icon: a speech bubble.
var Icon fyne.Resource = fyne.NewStaticResource("icon.png", iconPNG)
