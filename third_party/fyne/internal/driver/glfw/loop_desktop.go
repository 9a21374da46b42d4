//go:build !wasm && !test_web_driver

package glfw

import (
	"time" // palaver

	"fyne.io/fyne/v2"

	"github.com/go-gl/glfw/v3.3/glfw"
)

func (d *gLDriver) initGLFW() {
	err := glfw.Init()
	if err != nil {
		fyne.LogError("failed to initialise GLFW", err)
		return
	}

	initCursors()
}

func (d *gLDriver) pollEvents() {
	glfw.PollEvents() // This call blocks while window is being resized, which prevents freeDirtyTextures from being called
}

func (d *gLDriver) Terminate() {
	glfw.Terminate()
}

// palaver: the desktop loop can block in glfw.WaitEventsTimeout when idle.
const canIdle = true

// palaver: waitEvents blocks until an event arrives or the timeout passes.
func waitEvents(timeout time.Duration) {
	glfw.WaitEventsTimeout(timeout.Seconds())
}

// palaver: postEmptyEvent makes waitEvents return; any goroutine may call it.
func postEmptyEvent() {
	glfw.PostEmptyEvent()
}
