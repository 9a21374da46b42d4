package glfw

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/internal/app"
	"fyne.io/fyne/v2/internal/async"
	"fyne.io/fyne/v2/internal/cache"
	"fyne.io/fyne/v2/internal/driver/common"
	"fyne.io/fyne/v2/internal/painter"
	"fyne.io/fyne/v2/internal/scale"
)

type funcData struct {
	f    func()
	done chan struct{} // Zero allocation signalling channel
}

// channel for queuing functions on the main thread
var (
	funcQueue        = async.NewUnboundedChan[funcData]()
	running, drained atomic.Bool
)

// palaver: the idle mode of the main loop (fyne issue #2506, after the idea of fyne PR #5422).
// When a few ticks in a row had nothing to do (no queued function ran, no canvas was painted,
// no animation runs, no window waits to be resized), the loop stops its 60 Hz ticker and blocks
// in glfw.WaitEventsTimeout until an input event arrives or wakeMain posts an empty event:
// runOnMainWithWait (fyne.Do and fyne.DoAndWait), StartAnimation and Quit call it.
const (
	// palaver: quiet ticks in a row before the loop goes idle.
	idleAfterQuietTicks = 3
	// palaver: the longest the idle loop blocks before it ticks once anyway (a safety net
	// only: everything that has work for the main thread wakes it at once).
	idleTimeout = 2 * time.Second
)

// palaver: the state shared between the main loop and wakeMain.
var (
	idleMu         sync.Mutex
	idleWaiting    bool         // the main loop is (about to be) blocked in waitEvents; guarded by idleMu
	idleTerminated bool         // GLFW is terminated, no more posting; guarded by idleMu
	idlePending    atomic.Int64 // functions queued for the main thread and not yet run
)

// palaver: wakeMain makes the main loop return from waitEvents if it is idle. It may be called
// from any goroutine, at any time.
func wakeMain() {
	idleMu.Lock()
	if idleWaiting && !idleTerminated {
		idleWaiting = false // one empty event wakes it: no more posts until it waits again
		postEmptyEvent()
	}
	idleMu.Unlock()
}

// palaver: waitIdle blocks in waitEvents unless work arrived meanwhile (a queued function or a
// started animation); it reports whether it blocked.
func (d *gLDriver) waitIdle() bool {
	idleMu.Lock()
	if idlePending.Load() > 0 || d.animation.Running() {
		idleMu.Unlock()
		return false
	}
	idleWaiting = true
	idleMu.Unlock()

	waitEvents(idleTimeout)

	idleMu.Lock()
	idleWaiting = false
	idleMu.Unlock()
	return true
}

// Arrange that main.main runs on main thread.
func init() {
	runtime.LockOSThread()
	async.SetMainGoroutine()
}

// force a function f to run on the main thread
func runOnMain(f func()) {
	runOnMainWithWait(f, true)
}

// force a function f to run on the main thread and specify if we should wait for it to return
func runOnMainWithWait(f func(), wait bool) {
	// If we are on main before app run just execute - otherwise add it to the main queue and wait.
	// We also need to run it as-is if the app is in the process of shutting down as the queue will be stopped.
	if (!running.Load() && async.IsMainGoroutine()) || drained.Load() {
		f()
		return
	}

	idlePending.Add(1) // palaver: counted before it is queued, so that waitIdle sees it
	if wait {
		done := common.DonePool.Get()
		defer common.DonePool.Put(done)

		funcQueue.In() <- funcData{f: f, done: done}
		wakeMain() // palaver: the main loop may be idle
		<-done
	} else {
		funcQueue.In() <- funcData{f: f}
		wakeMain() // palaver: the main loop may be idle
	}
}

// palaver: drawSingleFrame reports whether it painted a window.
func (d *gLDriver) drawSingleFrame() (painted bool) {
	refreshed := false
	for _, win := range d.windowList() {
		w := win.(*window)
		if w.closing {
			continue
		}

		// CheckDirtyAndClear must be checked after visibility,
		// because when a window becomes visible, it could be
		// showing old content without a dirty flag set to true.
		// Do the clear if and only if the window is visible.
		if !w.visible || !w.canvas.CheckDirtyAndClear() {
			// Window hidden or not being redrawn, mark canvasForObject
			// cache alive if it hasn't been done recently
			// n.b. we need to make sure threshold is a bit *after*
			// time.Now() - CacheDuration()
			threshold := time.Now().Add(10*time.Second - cache.ValidDuration)
			if w.lastWalkedTime.Before(threshold) {
				w.canvas.WalkTrees(nil, func(node *common.RenderCacheNode, _ fyne.Position) {
					// marks canvas for object cache entry alive
					_ = cache.GetCanvasForObject(node.Obj())
					// marks renderer cache entry alive
					if wid, ok := node.Obj().(fyne.Widget); ok {
						_, _ = cache.CachedRenderer(wid)
					}
				})
				w.lastWalkedTime = time.Now()
			}
			continue
		}

		painted = true // palaver
		w.RunWithContext(func() {
			if w.driver.repaintWindow(w) {
				refreshed = true
			}
		})
	}
	cache.Clean(refreshed)
	return painted
}

func (d *gLDriver) runGL() {
	if !running.CompareAndSwap(false, true) {
		return // Run was called twice.
	}

	d.init()
	if d.trayStart != nil {
		d.trayStart()
	}

	fyne.CurrentApp().Settings().AddListener(func(set fyne.Settings) {
		painter.ClearFontCache()
		cache.ResetThemeCaches()
		app.ApplySettingsWithCallback(set, fyne.CurrentApp(), func(w fyne.Window) {
			c, ok := w.Canvas().(*glCanvas)
			if !ok {
				return
			}
			c.applyThemeOutOfTreeObjects()
			c.reloadScale()
		})
	})

	if f := fyne.CurrentApp().Lifecycle().(*app.Lifecycle).OnStarted(); f != nil {
		f()
	}

	eventTick := time.NewTicker(time.Second / 60)
	// palaver: busy: the loop did something since the last tick; quietTicks: ticks in a row without;
	// woke: the loop is back from idle, its ticker set to tick at once
	busy, quietTicks, woke := true, 0, false
	for {
		select {
		case <-d.done:
			eventTick.Stop()
			idleMu.Lock() // palaver: no more empty events once GLFW is terminated
			idleTerminated = true
			idleMu.Unlock()
			d.Terminate()
			l := fyne.CurrentApp().Lifecycle().(*app.Lifecycle)
			if f := l.OnStopped(); f != nil {
				l.QueueEvent(f)
			}

			// as we are shutting down make sure we drain the pending funcQueue and close it out.
			for len(funcQueue.Out()) > 0 {
				f := <-funcQueue.Out()
				if f.done != nil {
					f.done <- struct{}{}
				}
			}
			drained.Store(true)
			funcQueue.Close()
			return
		case f := <-funcQueue.Out():
			f.f()
			idlePending.Add(-1) // palaver
			busy = true         // palaver
			if f.done != nil {
				f.done <- struct{}{}
			}
		case <-eventTick.C:
			if woke { // palaver: back to 60 Hz after the first tick
				woke = false
				eventTick.Reset(time.Second / 60)
			}
			d.pollEvents()
			for i := 0; i < len(d.windows); i++ {
				w := d.windows[i].(*window)
				if w.viewport == nil {
					continue
				}

				if w.viewport.ShouldClose() {
					busy = true // palaver
					d.destroyWindow(w, i)
					i-- // Trailing windows are moved forward one step.
					continue
				}

				expand := w.shouldExpand
				fullScreen := w.fullScreen

				if expand && !fullScreen {
					busy = true // palaver
					w.fitContent()
					shouldExpand := w.shouldExpand
					w.shouldExpand = false
					view := w.viewport

					if shouldExpand && runtime.GOOS != "js" {
						view.SetSize(w.shouldWidth, w.shouldHeight)
					}
				}
			}

			d.animation.TickAnimations()
			if d.drawSingleFrame() { // palaver: was d.drawSingleFrame() alone
				busy = true
			}

			// palaver: go idle after a few quiet ticks, until an event or wakeMain
			if busy || d.animation.Running() {
				busy, quietTicks = false, 0
				continue
			}
			quietTicks++
			if !canIdle || quietTicks < idleAfterQuietTicks {
				continue
			}
			eventTick.Stop()
			if d.waitIdle() {
				woke = true // palaver: tick at once: the event that woke the loop may want a frame
				eventTick.Reset(time.Millisecond)
			} else {
				eventTick.Reset(time.Second / 60)
			}
			quietTicks = 0
		}
	}
}

func (d *gLDriver) destroyWindow(w *window, index int) {
	w.visible = false
	w.viewport.Destroy()
	w.destroy(d)

	if index < len(d.windows)-1 {
		copy(d.windows[index:], d.windows[index+1:])
	}
	d.windows[len(d.windows)-1] = nil
	d.windows = d.windows[:len(d.windows)-1]

	if len(d.windows) == 0 {
		d.Quit()
	}
}

func (d *gLDriver) repaintWindow(w *window) bool {
	canvas := w.canvas
	freed := false
	if canvas.EnsureMinSize() {
		w.shouldExpand = true
	}
	freed = canvas.FreeDirtyTextures() > 0

	updateGLContext(w)
	canvas.paint(canvas.Size())

	view := w.viewport
	visible := w.visible

	if view != nil && visible {
		view.SwapBuffers()
	}

	// mark that we have walked the window and don't
	// need to walk it again to mark caches alive
	w.lastWalkedTime = time.Now()
	return freed
}

// refreshWindow requests that the specified window be redrawn
func refreshWindow(w *window) {
	w.canvas.SetDirty()
}

func updateGLContext(w *window) {
	canvas := w.canvas
	size := canvas.Size()

	// w.width and w.height are not correct if we are maximised, so figure from canvas
	winWidth := float32(scale.ToScreenCoordinate(canvas, size.Width)) * canvas.texScale
	winHeight := float32(scale.ToScreenCoordinate(canvas, size.Height)) * canvas.texScale

	canvas.Painter().SetFrameBufferScale(canvas.texScale)
	canvas.Painter().SetOutputSize(int(winWidth), int(winHeight))
}
