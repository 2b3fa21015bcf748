/* The two passes of alerts.patterns._text.Text that read every character of every message, in C.
 *
 * Part of the compiled engine only (alerts.native builds it beside the mypyc extension); the pure-Python
 * engine runs _text.py's own versions of both functions, and tests/unit/detector/test_textscan.py holds
 * the two to the same answers on every corpus and on arbitrary Unicode text. Each is one forward walk over
 * the string, with no allocation but the results: linear in the text by construction.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* _text._DIGITS: the digits of the scripts people write numbers in. */
static int
is_digit(Py_UCS4 ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 0x0660 && ch <= 0x0669) || (ch >= 0x06F0 && ch <= 0x06F9) ||
           (ch >= 0x0966 && ch <= 0x096F) || (ch >= 0x09E6 && ch <= 0x09EF) || (ch >= 0x0E50 && ch <= 0x0E59) ||
           (ch >= 0xFF10 && ch <= 0xFF19);
}

/* The separators a digit run may hold: _text._NUMERIC's second class, less the digits. */
static int
is_separator(Py_UCS4 ch)
{
    return ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == ')' || ch == 0x00A0;
}

/* _common._SPACELESS: scripts written without spaces between words. */
static int
is_spaceless(Py_UCS4 ch)
{
    return (ch >= 0x0E00 && ch <= 0x0EFF) || (ch >= 0x1000 && ch <= 0x109F) || (ch >= 0x1780 && ch <= 0x17FF) ||
           (ch >= 0x2E80 && ch <= 0xFAFF) || (ch >= 0xFE30 && ch <= 0xFE4F) || (ch >= 0xFF00 && ch <= 0xFFEF) ||
           (ch >= 0x20000 && ch <= 0x3FFFF);
}

/* _common.joins_token: a word character (str.isalnum or "_", as the regex engine's \w) of a script that
 * separates its words. */
static int
joins_token(Py_UCS4 ch)
{
    return (Py_UNICODE_ISALNUM(ch) || ch == '_') && !is_spaceless(ch);
}

static int
append_steal(PyObject *list, PyObject *item)
{
    if (item == NULL) {
        return -1;
    }
    int status = PyList_Append(list, item);
    Py_DECREF(item);
    return status;
}

PyDoc_STRVAR(numeric_runs_doc,
             "numeric_runs(low, /)\n--\n\n"
             "(runs, iban_anchors) of the lower-cased text, as _text._numeric_runs gives them.");

static PyObject *
numeric_runs(PyObject *module, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "numeric_runs() expects a str");
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0) {
        return NULL;
    }
    const int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    PyObject *runs = PyList_New(0);
    PyObject *anchors = PyList_New(0);
    if (runs == NULL || anchors == NULL) {
        goto fail;
    }
    Py_ssize_t i = 0;
    while (i < n) {
        if (!is_digit(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        /* [digit][digit or separator]{3,}: greedy, and the next search starts where a run ends. */
        Py_ssize_t start = i, end = i + 1;
        while (end < n) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, end);
            if (!is_digit(ch) && !is_separator(ch)) {
                break;
            }
            end++;
        }
        if (end - start < 4) {
            i = start + 1;
            continue;
        }
        i = end;
        if (end - start >= 6 && append_steal(anchors, PyLong_FromSsize_t(start)) < 0) {
            goto fail;
        }
        if (start > 0 && joins_token(PyUnicode_READ(kind, data, start - 1))) {
            /* Glued to a word: only what follows a space in the run stands alone. */
            Py_ssize_t space = start;
            while (space < end && PyUnicode_READ(kind, data, space) != ' ') {
                space++;
            }
            if (space == end) {
                continue;
            }
            while (space < end && PyUnicode_READ(kind, data, space) == ' ') {
                space++;
            }
            if (space == end || !is_digit(PyUnicode_READ(kind, data, space))) {
                continue;
            }
            start = space;
        }
        Py_ssize_t digits = 0;
        for (Py_ssize_t j = start; j < end; j++) {
            digits += is_digit(PyUnicode_READ(kind, data, j));
        }
        if (append_steal(runs, Py_BuildValue("(nnn)", start, end, digits)) < 0) {
            goto fail;
        }
    }
    PyObject *result = PyTuple_Pack(2, runs, anchors);
    Py_DECREF(runs);
    Py_DECREF(anchors);
    return result;
fail:
    Py_XDECREF(runs);
    Py_XDECREF(anchors);
    return NULL;
}

PyDoc_STRVAR(long_words_doc,
             "long_words(raw, /)\n--\n\n"
             "Windows over the whitespace-separated words of 12 or more characters, as _text._long_words "
             "gives them.");

static PyObject *
long_words(PyObject *module, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "long_words() expects a str");
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0) {
        return NULL;
    }
    const int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    PyObject *spans = PyList_New(0);
    if (spans == NULL) {
        return NULL;
    }
    Py_ssize_t i = 0;
    while (i < n) {
        /* str.split()'s whitespace. */
        while (i < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
            i++;
        }
        Py_ssize_t start = i;
        while (i < n && !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) {
            i++;
        }
        if (i - start >= 12) {
            Py_ssize_t end = i + 1 < n ? i + 1 : n;
            if (append_steal(spans, Py_BuildValue("(nn)", start, end)) < 0) {
                Py_DECREF(spans);
                return NULL;
            }
        }
    }
    return spans;
}

static PyMethodDef methods[] = {
    {"numeric_runs", numeric_runs, METH_O, numeric_runs_doc},
    {"long_words", long_words, METH_O, long_words_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef_Slot slots[] = {
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_textscan",
    .m_doc = "The character-by-character passes of the compiled detector's Text.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__textscan(void)
{
    return PyModuleDef_Init(&module_def);
}
