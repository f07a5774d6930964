from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from authentication.models import User, UserProfile
from config.files import file_delete_on_commit


@receiver(post_save, sender=User, dispatch_uid="authentication_profile_for_new_user")
def profile_for_new_user(sender, instance: User, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        UserProfile.objects.get_or_create(user=instance)


@receiver(post_delete, sender=UserProfile, dispatch_uid="authentication_avatar_file_deleted")
def avatar_file_deleted(sender, instance: UserProfile, **kwargs) -> None:
    file_delete_on_commit(instance.avatar)
