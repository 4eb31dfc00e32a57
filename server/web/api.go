package web

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/wardauth/ward/server/service"
)

// The JSON API: a thin front end over the service.

type codeReq struct {
	Code     string `json:"code"`
	Remember bool   `json:"remember"`
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	var req struct{ Username, Password string }
	if !readJSON(w, r, &req) {
		return
	}
	g, err := s.svc.Login(r.Context(), s.client(r), req.Username, req.Password)
	if err != nil {
		s.answer(w, err)
		return
	}
	s.grant(w, r, g)
	writeNext(w, g)
}

// writeNext answers a sign-in step: where to go next, and the deadline of a
// required enrollment still ahead.
func writeNext(w http.ResponseWriter, g service.Grant) {
	out := map[string]string{"next": g.Next}
	if !g.EnrollBy.IsZero() {
		out["enroll_by"] = g.EnrollBy.UTC().Format(time.RFC3339)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiLoginCode(w http.ResponseWriter, r *http.Request) {
	var req codeReq
	if !readJSON(w, r, &req) {
		return
	}
	g, err := s.svc.LoginCode(r.Context(), s.client(r), req.Code, req.Remember)
	if err != nil {
		s.answer(w, err)
		return
	}
	s.grant(w, r, g)
	writeJSON(w, http.StatusOK, map[string]string{"next": g.Next})
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	a, err := s.svc.Me(r.Context(), s.client(r))
	if err != nil {
		s.answer(w, err)
		return
	}
	out := map[string]any{"username": a.User.Name, "email": a.User.Email, "admin": a.User.Admin,
		"mfa_enabled": a.User.MFA, "backup_codes_left": a.CodesLeft, "lang": a.Lang}
	if !a.EnrollBy.IsZero() {
		out["enroll_by"] = a.EnrollBy.UTC().Format(time.RFC3339)
	}
	if a.Blocked {
		out["next"] = "enroll"
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiLang(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Lang string `json:"lang"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if err := s.svc.SetLang(r.Context(), s.client(r), req.Lang); err != nil {
		s.answer(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiResetRequest(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Reason string `json:"reason"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	id, err := s.svc.RequestReset(r.Context(), s.client(r), req.Reason)
	if err != nil {
		s.answer(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int64{"id": id})
}

func (s *Server) apiInvite(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Password string `json:"password"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	g, err := s.svc.AcceptInvite(r.Context(), s.client(r), r.PathValue("token"), req.Password)
	if err != nil {
		s.answer(w, err)
		return
	}
	s.grant(w, r, g)
	writeNext(w, g)
}

// writeEnrollment answers a new key: as text, as a link and as a QR code.
func (s *Server) writeEnrollment(w http.ResponseWriter, e service.Enrollment, err error) {
	if err != nil {
		s.answer(w, err)
		return
	}
	qr, err := e.QR()
	if err != nil {
		s.answer(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": e.Secret.Base32(), "otpauth": e.URI,
		"qr_png": base64.StdEncoding.EncodeToString(qr)})
}

func (s *Server) apiEnroll(w http.ResponseWriter, r *http.Request) {
	e, err := s.svc.Enroll(r.Context(), s.client(r))
	s.writeEnrollment(w, e, err)
}

func (s *Server) apiMove(w http.ResponseWriter, r *http.Request) {
	var req codeReq
	if !readJSON(w, r, &req) {
		return
	}
	e, err := s.svc.StartMove(r.Context(), s.client(r), req.Code)
	s.writeEnrollment(w, e, err)
}

// writeCodes answers a confirmed enrollment or move: the backup codes, and the
// session's new token.
func (s *Server) writeCodes(w http.ResponseWriter, r *http.Request, codes []string, g service.Grant, err error) {
	if err != nil {
		s.answer(w, err)
		return
	}
	s.grant(w, r, g)
	writeJSON(w, http.StatusOK, map[string][]string{"backup_codes": codes})
}

func (s *Server) apiEnrollConfirm(w http.ResponseWriter, r *http.Request) {
	var req codeReq
	if !readJSON(w, r, &req) {
		return
	}
	codes, g, err := s.svc.ConfirmEnroll(r.Context(), s.client(r), req.Code)
	s.writeCodes(w, r, codes, g, err)
}

func (s *Server) apiMoveConfirm(w http.ResponseWriter, r *http.Request) {
	var req codeReq
	if !readJSON(w, r, &req) {
		return
	}
	codes, g, err := s.svc.ConfirmMove(r.Context(), s.client(r), req.Code)
	s.writeCodes(w, r, codes, g, err)
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Logout(r.Context(), s.client(r)); err != nil {
		s.answer(w, err)
		return
	}
	s.clearSession(w)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiRegenerate(w http.ResponseWriter, r *http.Request) {
	var req codeReq
	if !readJSON(w, r, &req) {
		return
	}
	codes, err := s.svc.RegenerateCodes(r.Context(), s.client(r), req.Code)
	if err != nil {
		s.answer(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]string{"backup_codes": codes})
}

func (s *Server) apiDisable(w http.ResponseWriter, r *http.Request) {
	var req codeReq
	if !readJSON(w, r, &req) {
		return
	}
	if err := s.svc.DisableMFA(r.Context(), s.client(r), req.Code); err != nil {
		s.answer(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiPassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if err := s.svc.ChangePassword(r.Context(), s.client(r), req.Current, req.New); err != nil {
		s.answer(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// The answers of verify, as writeJSON would write them.
var (
	validTrue  = []byte(`{"valid":true}` + "\n")
	validFalse = []byte(`{"valid":false}` + "\n")
)

// apiVerify lets an application (with its token) check a user's code.
func (s *Server) apiVerify(w http.ResponseWriter, r *http.Request) {
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		s.cfg.Metrics.Verify("no_token")
		s.answer(w, service.ErrNoToken)
		return
	}
	var req struct{ Username, Code string }
	if !readJSON(w, r, &req) {
		return
	}
	valid, err := s.svc.Verify(r.Context(), service.Client{Addr: s.clientAddr(r)}, token, req.Username, req.Code)
	if err != nil {
		s.answer(w, err)
		return
	}
	w.Header()["Content-Type"] = jsonType
	if valid {
		w.Write(validTrue)
	} else {
		w.Write(validFalse)
	}
}
