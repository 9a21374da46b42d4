//go:build wasm || test_web_driver

package glfw

import (
	"time" // palaver

	"fyne.io/fyne/v2"

	"github.com/fyne-io/gl-js"
	"github.com/fyne-io/glfw-js"
)

func (d *gLDriver) initGLFW() {
	err := glfw.Init(gl.ContextWatcher)
	if err != nil {
		fyne.LogError("failed to initialise GLFW", err)
		return
	}
}

func (d *gLDriver) pollEvents() {
	glfw.PollEvents() // This call blocks while window is being resized, which prevents freeDirtyTextures from being called
}

func (d *gLDriver) Terminate() {
	glfw.Terminate()
}

// palaver: the web loop keeps ticking at 60 Hz, as upstream: it never goes idle.
const canIdle = false

// palaver: waitEvents is never called on the web (canIdle is false).
func waitEvents(time.Duration) {}

// palaver: postEmptyEvent has nothing to wake on the web.
func postEmptyEvent() {}
