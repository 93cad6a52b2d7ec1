/*
 * ssm.c - SSM GetParameter over JSON 1.1. The reply body of a decrypted
 * SecureString holds a secret: the parsed value is cleansed on cleanup,
 * and error messages never quote values.
 *
 * Errors: DG_EINVALID "bad_request" / "bad_response".
 */
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "client.h"
#include "mem.h"
#include "ssm.h"

#define SSM_MAX_VALUE 8192 /* the advanced-tier limit */

dg_rc
ssm_build_get_parameter(const char *name, int with_decryption,
                        struct dg_buf *out, struct dg_err *err)
{
    cJSON *doc;
    if (svc_need("GetParameter", "Name", name, err))
        return DG_EINVALID;
    if (strlen(name) > SVC_MAX_ID)
        return dg_err_setc(err, DG_EINVALID, "bad_request",
                           "GetParameter: Name too long");
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "Name", name);
    cJSON_AddBoolToObject(doc, "WithDecryption", with_decryption ? 1 : 0);
    return svc_json_emit(doc, out, err);
}

void
ssm_parameter_cleanup(struct ssm_parameter *p)
{
    if (!p)
        return;
    if (p->value) {
        OPENSSL_cleanse(p->value, strlen(p->value));
        dg_free(p->value);
    }
    dg_free(p->name);
    dg_free(p->type);
    memset(p, 0, sizeof(*p));
}

dg_rc
ssm_parse_get_parameter(const char *body, size_t len, struct ssm_parameter *out,
                        struct dg_err *err)
{
    static const char op[] = "GetParameter";
    cJSON *root;
    const cJSON *p;
    dg_rc rc;
    memset(out, 0, sizeof(*out));
    if ((rc = svc_json_open(op, body, len, &root, err)))
        return rc;
    if ((rc = svc_json_object(op, root, "Parameter", &p, err)))
        goto out;
    if (!p) {
        rc = svc_bad(err, op, "missing Parameter");
        goto out;
    }
    if ((rc = svc_json_str(op, p, "Name", SVC_MAX_ID, 1, &out->name, err)) ||
        (rc = svc_json_str(op, p, "Type", 64, 1, &out->type, err)) ||
        (rc = svc_json_str(op, p, "Value", SSM_MAX_VALUE, 1, &out->value,
                           err)) ||
        (rc = svc_json_int(op, p, "Version", 0, 0, &out->version, err)))
        goto out;
    out->secure = strcmp(out->type, "SecureString") == 0;
out:
    /* The tree holds the plaintext too. */
    if (root) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(root, "Parameter"), "Value");
        if (cJSON_IsString(v) && v->valuestring)
            OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
    }
    cJSON_Delete(root);
    if (rc)
        ssm_parameter_cleanup(out);
    return rc;
}

SVC_OP(op_get, struct ssm_parameter, ssm_parse_get_parameter,
       ssm_parameter_cleanup);

void
ssm_get_parameter(const struct svc_client *c, const char *region,
                  const char *name, int with_decryption, svc_done_fn done,
                  void *ctx)
{
    struct svc_build b;
    dg_rc rc;
    svc_build_init(&b);
    rc = ssm_build_get_parameter(name, with_decryption, &b.body, &b.err);
    svc_send(c, &aws_svc_ssm, region, "GetParameter", 1, &b, rc, &op_get, done,
             ctx);
}
