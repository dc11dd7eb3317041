from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "jineng.targets"
    verbose_name = "目标任务与通报"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from jineng.registry.models import OrgUnit

        from .models import Competition, EvaluationFiling, ProgressRefresh, PublicityReport, Target
        from .selectors import registers_changed

        # What the cached overview reads besides the facts (jineng.targets.selectors).
        for model in (Target, Competition, EvaluationFiling, PublicityReport, OrgUnit, ProgressRefresh):
            for signal in (post_save, post_delete):
                signal.connect(registers_changed, sender=model, dispatch_uid=f"overview-{model.__name__}-{signal}")
