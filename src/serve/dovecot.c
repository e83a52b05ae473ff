/*
 * dovecot.c - the push source: Dovecot's authentication policy requests
 * (auth_policy_server_url). "allow" is always allowed (popgate never
 * refuses or delays a login); a "report" of a successful login is handed
 * to ingest, which records it by the same rules as a logged login. The
 * client address comes from the structured "remote" field only. Without
 * the configured API header nothing is recorded (401).
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "counters.h"
#include "match.h"
#include "serve_int.h"
#include "util.h"

#define JSON_DEPTH 8		/* Dovecot sends one flat object */
#define OK_BODY "{\"status\":0,\"msg\":\"\"}"

/* reply - an HTTP/1.1 response with BODY (may be "") */
static size_t reply(char *out, size_t size, const char *status,
		    const char *body, int close)
{
	int n = snprintf(out, size, "HTTP/1.1 %s\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\n%s\r\n%s", status,
			 strlen(body), close ? "Connection: close\r\n" : "",
			 body);

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* parse_body - the JSON object of BODY, or NULL */
static json_object *parse_body(const char *body, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	json_object *o;
	size_t end;

	if (tok == NULL || len > (size_t)INT32_MAX)
		return NULL;
	o = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
			  !json_object_is_type(o, json_type_object) ||
			  strspn(body + end, " \t\r\n") < len - end)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* field - string member NAME of O, *LEN its length; NULL if absent or
 * not a string */
static const char *field(json_object *o, const char *name, size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

static int succeeded(json_object *o)
{
	json_object *v;

	return json_object_object_get_ex(o, "success", &v) &&
		json_object_is_type(v, json_type_boolean) &&
		json_object_get_boolean(v);
}

/* login_message - the channel message for report O; -1 when it names no
 * valid address */
static int login_message(json_object *o, struct channel_msg *m)
{
	const char *s;
	size_t n = 0;

	memset(m, 0, sizeof *m);
	m->type = CHANNEL_LOGIN;
	m->time = (int64_t)clock_now();
	s = field(o, "remote", &n);
	if (s == NULL || addr_parse(s, n, &m->addr) != 0)
		return -1;
	if ((s = field(o, "login", &n)) != NULL)
		match_copy_text(m->user, sizeof m->user, s, n);
	if ((s = field(o, "protocol", &n)) != NULL)
		match_copy_text(m->service, sizeof m->service, s, n);
	if ((s = field(o, "session_id", &n)) != NULL)
		match_copy_text(m->session, sizeof m->session, s, n);
	return 0;
}

/* report - record the login REQ reports; 0 ok (also: not a success),
 * -1 malformed */
static int report(struct lookup *a, const struct http_request *req)
{
	json_object *o = parse_body(req->body, req->body_len);
	struct channel_msg m;
	int rc = 0;

	if (o == NULL)
		return -1;
	if (succeeded(o)) {
		rc = login_message(o, &m);
		if (rc == 0) {
			counters_inc(COUNTER_PUSH_REPORTS);
			link_push_login(&a->link, &m);
		}
	}
	json_object_put(o);
	return rc;
}

size_t dovecot_answer(struct lookup *a, const struct http_request *req,
		      char *out, size_t size, int *close)
{
	size_t n = 0;
	const char *cmd = http_query_param(req->target, req->target_len,
					   "command", &n);
	int is_report = cmd && n == 6 && memcmp(cmd, "report", 6) == 0;
	int is_allow = cmd && n == 5 && memcmp(cmd, "allow", 5) == 0;

	*close = 1;
	if (req->method_len != 4 || memcmp(req->method, "POST", 4) != 0 ||
	    cmd == NULL)
		return reply(out, size, "400 Bad Request", "", 1);
	if (!req->authorized) {
		counters_inc(COUNTER_PUSH_UNAUTHORIZED);
		log_limited(&a->rl_client, LOG_WARNING, "dovecot policy: a "
			    "request without the expected API header; answering "
			    "401, nothing recorded");
		*close = !req->keep_alive;
		return reply(out, size, "401 Unauthorized", "", *close);
	}
	if ((!is_report && !is_allow) || (is_report && report(a, req) != 0)) {
		counters_inc(COUNTER_PUSH_MALFORMED);
		log_limited(&a->rl_client, LOG_WARNING, "dovecot policy: a "
			    "malformed request; answering 400 and closing");
		return reply(out, size, "400 Bad Request", "", 1);
	}
	*close = !req->keep_alive;
	return reply(out, size, "200 OK", OK_BODY, *close);
}
