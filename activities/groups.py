"""The activity functions of the default permission groups (data migrations activities/0002
and 0007)."""

_EDIT = ["view", "add", "change"]
_OWN = [f"activities.{a}_activity" for a in _EDIT]

ACTIVITY_GRANTS = {
    "sales_rep": [*_OWN, "activities.must_close_meetings", "activities.must_plan_next_event"],
    "sales_manager": [*_OWN, "activities.edit_closed_activity"],
    "marketing": [*_OWN],
    "finance": [*_OWN, "activities.use_collection_types"],
    "administrator": [
        *(
            f"activities.{action}_{model}"
            for model in ["activity", "activitytype", "taskname"]
            for action in ("view", "add", "change", "delete")
        ),
        "activities.edit_closed_activity",
        "activities.use_collection_types",
    ],
}

# Giving tasks to any colleague of the company, not only to one's team (data migration
# activities/0007): sales managers and administrators.
TASK_GRANTS = {
    "sales_manager": ["activities.assign_to_colleagues"],
    "administrator": ["activities.assign_to_colleagues"],
}
