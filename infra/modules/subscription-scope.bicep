// Deployed once per subscription in scope: a resource group holding that subscription's Event
// Grid system topic (ARM resource events) and its Service Health alert rule, both per-subscription
// by nature (a system topic's source and an activity-log alert's scope are the subscription);
// and one DR resource group (LIFEBOAT_DR_RESOURCE_GROUP, {region} = the DR region) per DR region,
// located in that region, which the app writes its DR artefacts into and where it holds its write
// role (infra/rbac.bicep).

targetScope = 'subscription'

metadata name = 'Lifeboat per-subscription wiring'
metadata description = 'Events resource group with the ARM system topic and Service Health alert rule, and the DR resource group, in one subscription.'

@description('Required. Name of the resource group created in this subscription for the topic and the alert rule.')
param resourceGroupName string

@description('Required. Name of the DR resource groups created in this subscription (LIFEBOAT_DR_RESOURCE_GROUP); {region} stands for the DR region.')
param drResourceGroupName string

@description('Optional. DR regions: one DR resource group in each, located there. Default: location.')
param drRegions array = [location]

@description('Optional. Name of the resource group a failback copies recovered VMs\' disks back into (LIFEBOAT_FAILBACK_RESOURCE_GROUP); empty: none.')
param failbackResourceGroupName string = ''

@description('Optional. Region of the failback resource group: a primary region. Default: location.')
param failbackLocation string = location

@description('Required. Name of the Event Grid system topic.')
param systemTopicName string

@description('Required. Name of the Service Health activity-log alert rule.')
param alertRuleName string

@description('Required. Resource id of the action group the alert rule notifies.')
param actionGroupId string

@description('Required. Service Health incident types that fire the alert.')
param incidentTypes array

@description('Optional. Service Health region display names (e.g. East US) that fire the alert; empty means all.')
param regionNames array = []

@description('Optional. Region of the events resource group: the DR region (the topic and rule themselves are global).')
param location string = deployment().location

@description('Optional. Tags for every resource.')
param tags object = {}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

// Hold the DR copies, one group per DR region located there: the app writes nothing outside them
// (shared/azure/actions.py). Created, never emptied, by a deployment; see docs/deploy.md on
// `azd down`.
resource drRgs 'Microsoft.Resources/resourceGroups@2024-03-01' = [for region in drRegions: {
  name: replace(drResourceGroupName, '{region}', region)
  location: region
  tags: tags
}]

// Receives a failback's copies back to the primary region (the app holds its DR write role
// there too, infra/rbac.bicep). Created, never emptied, by a deployment.
resource failbackRg 'Microsoft.Resources/resourceGroups@2024-03-01' = if (!empty(failbackResourceGroupName)) {
  name: empty(failbackResourceGroupName) ? 'unused' : failbackResourceGroupName
  location: failbackLocation
  tags: tags
}

module resources 'subscription-resources.bicep' = {
  name: take('${deployment().name}-resources', 64)
  scope: rg
  params: {
    subscriptionId: subscription().subscriptionId
    systemTopicName: systemTopicName
    alertRuleName: alertRuleName
    actionGroupId: actionGroupId
    incidentTypes: incidentTypes
    regionNames: regionNames
    tags: tags
  }
}

@description('The resource group holding this subscription\'s topic and alert rule.')
output resourceGroupName string = rg.name

@description('The DR resource groups in this subscription, one per DR region.')
output drResourceGroupNames array = [for (region, i) in drRegions: drRgs[i].name]

@description('The system topic name.')
output systemTopicName string = resources.outputs.systemTopicName

@description('The principal id of the system topic identity (dead-lettering writes with it).')
output systemTopicPrincipalId string = resources.outputs.systemTopicPrincipalId
