package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// bidiConn is a WebDriver BiDi connection (https://w3c.github.io/webdriver-bidi/):
// JSON commands with ids over one WebSocket, answered by results or errors
// with the same id, interleaved with events.
type bidiConn struct {
	ws *websocket.Conn

	mu      sync.Mutex
	nextID  int
	pending map[int]chan bidiMessage
	onEvent func(method string, params json.RawMessage)
	err     error // why the connection ended
	done    chan struct{}
}

type bidiMessage struct {
	Type    string          `json:"type"`
	ID      *int            `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

// bidiError is an error answer of the remote end.
type bidiError struct{ code, message string }

func (e *bidiError) Error() string { return e.code + ": " + e.message }

func dialBiDi(ctx context.Context, url string, onEvent func(string, json.RawMessage)) (*bidiConn, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	// Answers with whole DOM texts can be long.
	ws.SetReadLimit(64 << 20)
	c := &bidiConn{ws: ws, pending: map[int]chan bidiMessage{}, onEvent: onEvent, done: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *bidiConn) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			for id, ch := range c.pending {
				close(ch)
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		var m bidiMessage
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		if m.Type == "event" {
			if c.onEvent != nil {
				c.onEvent(m.Method, m.Params)
			}
			continue
		}
		if m.ID == nil {
			continue
		}
		c.mu.Lock()
		ch := c.pending[*m.ID]
		delete(c.pending, *m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// call sends a command and decodes its result into out (which may be nil).
func (c *bidiConn) call(ctx context.Context, method string, params any, out any) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return fmt.Errorf("%s: the connection ended: %w", method, c.err)
	}
	c.nextID++
	id := c.nextID
	ch := make(chan bidiMessage, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	data, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: the connection ended", method)
		}
		if m.Type == "error" {
			return fmt.Errorf("%s: %w", method, &bidiError{m.Error, m.Message})
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (c *bidiConn) close() {
	_ = c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.done
}

// bidiEvalResult is the result of script.evaluate and script.callFunction.
type bidiEvalResult struct {
	Type   string `json:"type"` // "success" or "exception"
	Result struct {
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"result"`
	ExceptionDetails struct {
		Text string `json:"text"`
	} `json:"exceptionDetails"`
}

// str returns a string result, or the exception as an error.
func (r *bidiEvalResult) str() (string, error) {
	if r.Type == "exception" {
		return "", errors.New("script exception: " + r.ExceptionDetails.Text)
	}
	if r.Result.Type != "string" {
		return "", fmt.Errorf("script returned a %s, not a string", r.Result.Type)
	}
	var s string
	err := json.Unmarshal(r.Result.Value, &s)
	return s, err
}
