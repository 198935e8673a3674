/* storage/types.c: names of the field types, as InfluxDB spells them. */
#include "storage/types.h"

const char *stg_type_name(stg_type t)
{
    switch (t) {
    case STG_FLOAT:
        return "float";
    case STG_INT:
        return "integer";
    case STG_UINT:
        return "unsigned";
    case STG_BOOL:
        return "boolean";
    case STG_STRING:
        return "string";
    default:
        return "?";
    }
}
